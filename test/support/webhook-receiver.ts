// A real HTTP receiver of webhooks for tests: verifies every request with the standardwebhooks
// package, can be down (connection refused), failing (503), hanging or up, and keeps what it got.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export const webhookSecret = `whsec_${Buffer.from('a test secret of 32 bytes length').toString('base64')}`;

export type ReceiverMode = 'up' | 'failing' | 'hanging';

export interface Received {
  id: string;
  type: string;
  room: string;
  /** The status this receiver answered. */
  status: number;
}

export interface Receiver {
  url: string;
  /** Every request that arrived with a valid signature, in arrival order. */
  received: Received[];
  /** Requests whose signature did not verify. */
  rejected: string[];
  mode: ReceiverMode;
  /** Stops listening: connections are refused until up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(delayMs = 0): Promise<Receiver> {
  const verifier = new Webhook(webhookSecret);
  const received: Received[] = [];
  const rejected: string[] = [];
  const hanging = new Set<ServerResponse>();
  const receiver = { mode: 'up' as ReceiverMode };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let event: { type: string; data: { room: string } };
    try {
      event = verifier.verify(body, request.headers as Record<string, string>) as typeof event;
    } catch (err) {
      rejected.push(String(err));
      response.writeHead(400).end();
      return;
    }
    if (receiver.mode === 'hanging') {
      hanging.add(response);
      return;
    }
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const status = receiver.mode === 'up' ? 204 : 503;
    const id = String(request.headers['webhook-id']);
    received.push({ id, type: event.type, room: event.data.room, status });
    response.writeHead(status).end();
  };

  const server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const stopListening = () =>
    new Promise<void>((resolve) => {
      for (const response of hanging) response.destroy();
      hanging.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    });

  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    rejected,
    down: stopListening,
    up: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: async () => {
      if (server.listening) await stopListening();
    },
  });
}
