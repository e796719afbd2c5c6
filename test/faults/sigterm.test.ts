// SIGTERM under load: the real server process answers every request already in flight, then
// exits by itself within 10 s (close-with-grace's bound), with status 0.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { browserAgent } from '../support/app.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let server: ChildProcess | undefined;
afterAll(() => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
});

/** Starts src/server.ts as a process of its own; resolves with its port once it listens. */
function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: 'memory://',
      ADMIN_TOKEN: 'test-admin-token-0123456789',
      RATE_LIMIT_MAX: '0',
      SNAPSHOT_ENABLED: 'false',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      REDIS_URL: '',
      DATABASE_URL: '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  server = child;
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${out}`)), 90_000);
    child.stdout?.on('data', (chunk) => {
      out += String(chunk);
      const port = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ child, port: Number(port) });
      }
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${out}`)));
  });
}

it('answers the requests in flight and exits within 10 s on SIGTERM', {
  timeout: 120_000,
}, async () => {
  const { child, port } = await startServer();
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  let stop = false;
  let sent = 0;
  const inFlight = new Set<Promise<number | Error>>();
  const answers: (number | Error)[] = [];
  const beat = (n: number) =>
    fetch(`http://127.0.0.1:${port}/v1/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': browserAgent },
      body: JSON.stringify({ room: 'sigterm', session: `session-sigterm-${n}` }),
    }).then(
      async (response) => {
        await response.arrayBuffer();
        return response.status;
      },
      (err: Error) => err,
    );
  // 16 clients beating as fast as they are answered, on kept-alive connections.
  const clients = Array.from({ length: 16 }, async () => {
    while (!stop) {
      const request = beat(sent++);
      inFlight.add(request);
      answers.push(await request);
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
  const inFlightAnswers = await Promise.all(pending);
  await Promise.all(clients);
  const { code, at } = await exited;

  expect(pending.length).toBeGreaterThan(0);
  // Every request in flight at SIGTERM got an HTTP answer: served (200), or 503 while closing.
  expect(inFlightAnswers.filter((a) => a instanceof Error)).toEqual([]);
  expect(inFlightAnswers.every((a) => a === 200 || a === 503)).toBe(true);
  expect(answers.filter((a) => a === 200).length).toBeGreaterThan(100);
  expect(code).toBe(0);
  expect(at - signalled).toBeLessThan(10_000);
});
