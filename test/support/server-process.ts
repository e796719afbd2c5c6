// The service as it runs in production: src/server.ts in a process of its own, on a spare port,
// with the test's environment on top of quiet defaults.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { adminToken } from './app.js';
import { ServiceTimings } from './request-timing.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** SIGTERM, then SIGKILL if it has not exited within 15 s. */
  stop: () => Promise<void>;
  /** What the service measured of each request tagged with x-test-request (option `timing`). */
  timings: ServiceTimings;
}

/**
 * Starts the server; resolves once it listens. With `timing`, the service also measures each
 * request tagged with x-test-request on its own clock (test/support/request-timing.ts).
 */
export function startServer(
  env: Record<string, string>,
  { timing = false }: { timing?: boolean } = {},
): Promise<ServerProcess> {
  const preload = timing ? ['--import', './test/support/request-timing-preload.ts'] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', ...preload, 'src/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: 'memory://',
      ADMIN_TOKEN: adminToken,
      SNAPSHOT_ENABLED: 'false',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      REDIS_URL: '',
      DATABASE_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(timer);
  };
  const timings = new ServiceTimings();
  let partial = '';
  /** The chunk without the timing lines, which go to `timings`. */
  const readTimings = (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    return lines
      .filter((line) => !timings.read(line))
      .map((line) => `${line}\n`)
      .join('');
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start: ${out}`));
    }, 90_000);
    // Read to the end: a pipe nobody drains would stop the server once it is full.
    child.stdout?.on('data', (chunk) => {
      const text = timing ? readTimings(String(chunk)) : String(chunk);
      if (out.length < 100_000) out += text;
      const port = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ child, port: Number(port), stop, timings });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}): ${out}`));
    });
  });
}
