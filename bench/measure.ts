// What every service bench measures: wrk runs, and the CPU time each request cost the process
// that answered it and the Redis servers behind it (from the operating system's accounting).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

export const run = promisify(execFile);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function waitForHttp(url: string) {
  for (let i = 0; i < 600; i++) {
    if (
      await fetch(url).then(
        (r) => r.status < 500,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

export function start(command: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export interface WrkOptions {
  durationS: number;
  connections: number;
  env?: Record<string, string>;
}

/** Requests per second from wrk (one thread: the other core serves). */
export async function wrk(url: string, script: string, options: WrkOptions) {
  const args = ['-t1', `-c${options.connections}`, `-d${options.durationS}s`, '-s', script, url];
  const { stdout } = await run('wrk', args, {
    maxBuffer: 1 << 20,
    env: { ...process.env, ...options.env },
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  if (non2xx > 0) throw new Error(`wrk saw ${non2xx} failed responses from ${url}:\n${stdout}`);
  return { rps, requests };
}

const clockTicks = Number(
  (await run('getconf', ['CLK_TCK']).catch(() => ({ stdout: '100' }))).stdout,
);

/** CPU time a process has used, ms (from /proc: Linux only, NaN elsewhere). */
export function processCpuMs(pid: number | undefined): number {
  try {
    // Fields after the command name: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return Number.NaN;
  }
}

export const redisCli = (port: number, ...args: string[]) =>
  run('redis-cli', ['-p', String(port), ...args]);

/** CPU time of the redis-servers on these ports, summed (INFO cpu), ms. */
export async function redisCpuMs(ports: readonly number[]): Promise<number> {
  let total = 0;
  for (const port of ports) {
    const { stdout } = await redisCli(port, 'info', 'cpu');
    const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(stdout)?.[1]);
    total += (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
  }
  return total;
}

export interface Measured {
  rps: number;
  requests: number;
  /** CPU µs per request of the process that answered. */
  cpuUs: number;
  /** CPU µs per request of the Redis servers behind it (0 for none). */
  redisUs: number;
}

/** A wrk run with the CPU each request cost the answering process and its Redis servers. */
export async function measured(
  pid: number | undefined,
  redisPorts: readonly number[],
  url: string,
  script: string,
  options: WrkOptions,
): Promise<Measured> {
  const [cpu0, redis0] = [processCpuMs(pid), await redisCpuMs(redisPorts)];
  const result = await wrk(url, script, options);
  const [cpu1, redis1] = [processCpuMs(pid), await redisCpuMs(redisPorts)];
  return {
    ...result,
    cpuUs: ((cpu1 - cpu0) * 1000) / result.requests,
    redisUs: ((redis1 - redis0) * 1000) / result.requests,
  };
}
