// A room's count polled by 10 000 open pages, as the browser client polls it: each page reads
// GET /v1/rooms/:room/count every COUNT_POLL_S (2 s) with If-None-Match set to the ETag of its
// previous read, from its own client address behind a trusted proxy. Two rows: a quiet room (no
// one comes or goes) and a busy one (people join and leave all the time, through the store, so
// that the service's CPU is that of the reads alone). Reports the service's CPU per request, the
// share of 304s and the store's count calls per second (its own metric).
// Starts its own redis-server and the service (from source, at its shipped count settings).
//   npx tsx bench/count-polling.ts
//   BENCH_PAGES=10000 BENCH_DURATION_S=10 BENCH_CHURN_PER_S=17 BENCH_CONNECTIONS=64
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { loadConfig } from '../src/config.js';
import { createRedisClient, waitForReady } from '../src/presence/redis-client.js';
import { RedisPresenceStore } from '../src/presence/redis-store.js';
import type { Heartbeat } from '../src/presence/store.js';
import { RedisServer } from '../test/support/redis-server.js';
import { longTtlRules } from './rules.js';

const pages = Number(process.env.BENCH_PAGES ?? 10_000);
const durationS = Number(process.env.BENCH_DURATION_S ?? 10);
/** Joins (and as many leaves) a second in the busy room: 10 000 pages staying 10 minutes. */
const churnPerS = Number(process.env.BENCH_CHURN_PER_S ?? 17);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const adminToken = 'bench-admin-token-0123456789';
const room = 'polled';
const prefix = 'hc';
const { countPollS, countCacheMs, countMaxAgeS } = loadConfig({});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port nobody listens on now, chosen by the OS. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

const clockTicks = 100;
/** CPU time a process has used, ms (from /proc: Linux only). */
function processCpuMs(pid: number): number {
  // Fields after the command name: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

const agent = new Agent({ keepAlive: true, maxSockets: connections });

/** One GET; resolves with the status and the ETag. */
function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; etag: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The store's count calls so far, from its own metric on /metrics. */
async function storeCountCalls(service: string): Promise<number> {
  const { body } = await get(`${service}/metrics`, { authorization: `Bearer ${adminToken}` });
  const line = body
    .split('\n')
    .find((l) => l.startsWith('headcount_store_command_duration_seconds_count{command="count"}'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const beat = (i: number): Heartbeat => {
  const id = `p${String(i).padStart(9, '0')}`;
  return { room, session: id, viewer: id, state: 'visible' };
};

interface Row {
  name: string;
  requests: number;
  rps: number;
  share304: number;
  cpuUs: number;
  storeCallsPerS: number;
  /** Joins and leaves a second while measured. */
  changesPerS: number;
}

/**
 * Every page reads the count once per poll interval, spread evenly, for durationS (after one
 * round unmeasured, so that every page holds an ETag); `changing` runs alongside. Requests per
 * second fall short of pages / COUNT_POLL_S when this process or the service cannot keep up.
 */
async function poll(
  name: string,
  service: string,
  pid: number,
  changing: (stop: () => boolean, changed: () => void) => Promise<void>,
): Promise<Row> {
  const etags: (string | undefined)[] = new Array(pages);
  const url = `${service}/v1/rooms/${room}/count`;
  const gapMs = (countPollS * 1000) / pages;
  let stopAt = Number.POSITIVE_INFINITY;
  let measuring = false;
  let requests = 0;
  let notModified = 0;
  let inFlight = 0;

  const read = async (page: number) => {
    const headers: Record<string, string> = {
      'x-forwarded-for': `10.${(page >> 16) & 255}.${(page >> 8) & 255}.${page & 255}`,
    };
    const etag = etags[page];
    if (etag) headers['if-none-match'] = etag;
    inFlight++;
    const res = await get(url, headers);
    inFlight--;
    if (res.status === 200) etags[page] = res.etag;
    else if (res.status !== 304) throw new Error(`count answered ${res.status}: ${res.body}`);
    if (measuring) {
      requests++;
      if (res.status === 304) notModified++;
    }
  };

  let changes = 0;
  const changer = changing(
    () => Date.now() > stopAt,
    () => {
      if (measuring) changes++;
    },
  );
  const started = performance.now();
  let sent = 0;
  const reads: Promise<void>[] = [];
  let cpu0 = 0;
  let calls0 = 0;
  let measuredFrom = 0;
  for (;;) {
    // Measured once every page has read once and holds an ETag, as pages open for a while do.
    if (!measuring && sent >= pages) {
      await Promise.all(reads.splice(0));
      [cpu0, calls0] = [processCpuMs(pid), await storeCountCalls(service)];
      measuredFrom = performance.now();
      measuring = true;
    }
    if (measuring && performance.now() - measuredFrom >= durationS * 1000) break;
    // Open loop: the reads due by now, as long as the connections keep up.
    const due = Math.floor((performance.now() - started) / gapMs);
    while (sent < due && inFlight < connections * 4) {
      reads.push(read(sent % pages));
      sent++;
    }
    if (reads.length > 10_000) await Promise.all(reads.splice(0, 5_000));
    await sleep(1);
  }
  await Promise.all(reads);
  const seconds = (performance.now() - measuredFrom) / 1000;
  const [cpu1, calls1] = [processCpuMs(pid), await storeCountCalls(service)];
  stopAt = 0;
  await changer;
  return {
    name,
    requests,
    rps: requests / seconds,
    share304: notModified / requests,
    cpuUs: ((cpu1 - cpu0) * 1000) / requests,
    // The two /metrics scrapes read no count from the store.
    storeCallsPerS: (calls1 - calls0) / seconds,
    changesPerS: changes / seconds,
  };
}

const redis = new RedisServer(await freePort());
let service: ChildProcess | undefined;
try {
  await redis.start();
  const port = await freePort();
  // The shipped settings, but for ttls long enough to keep the loaded sessions online.
  service = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      REDIS_URL: redis.url,
      DATA_DIR: 'memory://',
      ADMIN_TOKEN: adminToken,
      TRUST_PROXY: '1',
      VISIBLE_TTL_S: '3600',
      HIDDEN_TTL_S: '3600',
      LOG_LEVEL: 'warn',
      PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await get(`${base}/healthz`, {}).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (i > 600) throw new Error('the service did not come up');
    await sleep(100);
  }

  const client = createRedisClient({ urls: [redis.url], cluster: false, timeoutMs: 10_000 });
  await waitForReady(client, 5_000);
  const store = new RedisPresenceStore(client, longTtlRules, prefix);
  for (let i = 0; i < pages; i += 2_000) {
    await Promise.all(
      Array.from({ length: Math.min(2_000, pages - i) }, (_, k) => store.heartbeat(beat(i + k))),
    );
  }

  const quiet = await poll('quiet room', base, service.pid!, async () => {});
  // Each tick, one page joins and one leaves (its count drops after the leave grace).
  let next = pages;
  const busy = await poll('busy room', base, service.pid!, async (stop, changed) => {
    while (!stop()) {
      await store.heartbeat(beat(next++));
      await store.leave(room, beat(next - pages).session);
      changed();
      changed();
      await sleep(1000 / churnPerS);
    }
  });
  await client.quit();

  console.log(
    `\n${pages.toLocaleString('en')} pages polling one room every ${countPollS} s with If-None-Match ` +
      `(COUNT_CACHE_MS=${countCacheMs}, COUNT_MAX_AGE_S=${countMaxAgeS}), ${durationS} s per row\n`,
  );
  console.log(
    '| room | requests/s | 304s | service CPU per request | store count calls/s | changes/s |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of [quiet, busy]) {
    console.log(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${(r.share304 * 100).toFixed(1)} % | ${r.cpuUs.toFixed(0)} µs | ${r.storeCallsPerS.toFixed(1)} | ${r.changesPerS.toFixed(1)} |`,
    );
  }
} finally {
  agent.destroy();
  service?.kill('SIGTERM');
  await redis.stop();
}
