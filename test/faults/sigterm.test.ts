// SIGTERM under load: the real server process answers every request it has when the signal comes,
// then exits by itself within 10 s (close-with-grace's bound), with status 0.
import { afterAll, expect, it } from 'vitest';
import { browserAgent } from '../support/app.js';
import { timingHeader } from '../support/request-timing.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

let service: ServerProcess | undefined;
afterAll(() => {
  const child = service?.child;
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Sent {
  tag: string;
  answer: Promise<number | Error>;
}

it('answers the requests in flight and exits within 10 s on SIGTERM', {
  timeout: 120_000,
}, async () => {
  // Told which requests the service had (test/support/request-timing.ts).
  service = await startServer({ RATE_LIMIT_MAX: '0' }, { timing: true });
  const { child, port, timings } = service;
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  let stop = false;
  let sent = 0;
  const inFlight = new Set<Sent>();
  const answers: (number | Error)[] = [];
  const beat = (n: number): Sent => ({
    tag: String(n),
    answer: fetch(`http://127.0.0.1:${port}/v1/heartbeat`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        'user-agent': browserAgent,
        [timingHeader]: String(n),
      },
      body: JSON.stringify({ room: 'sigterm', session: `session-sigterm-${n}` }),
    }).then(
      async (response) => {
        await response.arrayBuffer();
        return response.status;
      },
      (err: Error) => err,
    ),
  });
  // 16 clients beating as fast as they are answered, on kept-alive connections.
  const clients = Array.from({ length: 16 }, async () => {
    while (!stop) {
      const request = beat(sent++);
      inFlight.add(request);
      answers.push(await request.answer);
      inFlight.delete(request);
    }
  });
  // Under load for a second and past a hundred heartbeats served, however long a busy machine
  // takes to serve them.
  const started = Date.now();
  while (Date.now() - started < 1_000 || answers.filter((a) => a === 200).length <= 100) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const pending = [...inFlight];
  const signalled = Date.now();
  child.kill('SIGTERM');
  stop = true;
  const inFlightAnswers = await Promise.all(
    pending.map(async (r) => [r.tag, await r.answer] as const),
  );
  await Promise.all(clients);
  const { code, at } = await exited;

  expect(pending.length).toBeGreaterThan(0);
  // Every request in flight at SIGTERM that the service had got an HTTP answer: served (200), or
  // 503 while closing. One still on its way over a kept-alive connection that the service, idle
  // on it, closed as it shut down never reached it (the request's connection was reset): the
  // client's to send again.
  const failed = inFlightAnswers.filter(([, answer]) => answer instanceof Error);
  expect(failed.filter(([tag]) => timings.started.has(tag))).toEqual([]);
  expect(
    failed.every(([, answer]) =>
      /ECONNRESET|other side closed|socket/i.test(String((answer as Error).cause ?? answer)),
    ),
  ).toBe(true);
  expect(
    inFlightAnswers.every(
      ([, answer]) => answer instanceof Error || answer === 200 || answer === 503,
    ),
  ).toBe(true);
  expect(answers.filter((a) => a === 200).length).toBeGreaterThan(100);
  expect(code).toBe(0);
  expect(at - signalled).toBeLessThan(10_000);
});
