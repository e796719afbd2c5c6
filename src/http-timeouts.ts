// Bounds on what a client can make the server wait for: no connection holds the service's
// sockets and memory without sending. Node's HTTP server enforces them; these are its options.
import type { ServerOptions } from 'node:http';
import type { Config } from './config.js';

/** The server options that bound waiting, as Fastify takes them. */
export interface HttpTimeoutOptions {
  http: Pick<ServerOptions, 'headersTimeout' | 'connectionsCheckingInterval'>;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionTimeout: number;
}

export function httpTimeouts({
  headersTimeoutMs,
  requestTimeoutMs,
  idleTimeoutMs,
}: Config['http']): HttpTimeoutOptions {
  return {
    http: {
      // Slow headers (slowloris): 408 and close once this has passed.
      headersTimeout: headersTimeoutMs,
      // Node checks the two timeouts above on this period; its default (30 s) would let a slow
      // client hold on for up to 30 s longer than allowed.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
    },
    // Headers and body, however slowly they trickle in.
    requestTimeout: requestTimeoutMs,
    // A kept-alive connection with no new request (keep it above the load balancer's idle timeout).
    keepAliveTimeout: idleTimeoutMs,
    // Any socket on which nothing moves (a client that stopped reading its response).
    connectionTimeout: Math.max(idleTimeoutMs, requestTimeoutMs),
  };
}
