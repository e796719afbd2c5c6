// A room's count polled by 10 000 open pages, as the browser client polls it: each page reads
// GET /v1/rooms/:room/count every COUNT_POLL_S (2 s) with If-None-Match set to the ETag of its
// previous read, from its own client address behind a trusted proxy. Two rows: a quiet room (no
// one comes or goes) and a busy one (people join and leave all the time, through the store, so
// that the service's CPU is that of the reads alone). Reports the service's CPU per request, the
// share of 304s and the store's count calls per second (its own metric).
// Starts its own redis-server and the service (from source, at its shipped count settings), each
// on a port the OS picks. npm run bench runs it as its last part.
//   npx tsx bench/count-polling.ts
//   BENCH_PAGES=10000 BENCH_DURATION_S=10 BENCH_CHURN_PER_S=17 BENCH_CONNECTIONS=64
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config.js';
import { createRedisClient, waitForReady } from '../src/presence/redis-client.js';
import { RedisPresenceStore } from '../src/presence/redis-store.js';
import type { Heartbeat } from '../src/presence/store.js';
import { RedisServer } from '../test/support/redis-server.js';
import { processCpuMs, sleep } from './measure.js';
import { longTtlRules } from './rules.js';

export interface CountPollingOptions {
  /** Open pages, each polling the room once per COUNT_POLL_S. */
  pages: number;
  /** Time measured per row, s (after one unmeasured round of every page). */
  durationS: number;
  /** Joins (and as many leaves) a second in the busy room. */
  churnPerS: number;
  /** Keep-alive connections the pages' reads share. */
  connections: number;
}

/** Joins a second in the busy room: 10 000 pages staying 10 minutes. */
export const busyRoomChurnPerS = 17;

export interface CountPollingRow {
  room: 'quiet' | 'busy';
  pages: number;
  /** Requests answered while measured. */
  requests: number;
  rps: number;
  /** Share of the requests answered 304 Not Modified, 0 to 1. */
  share304: number;
  /** CPU time of the service per request, µs. */
  cpuUs: number;
  /** The store's count calls a second (headcount_store_command_duration_seconds_count). */
  storeCallsPerS: number;
  /** Joins and leaves a second while measured. */
  changesPerS: number;
}

export interface CountPollingResult {
  rows: CountPollingRow[];
  options: CountPollingOptions;
  /** The service's shipped count settings the rows ran at. */
  settings: { countPollS: number; countCacheMs: number; countMaxAgeS: number };
}

const adminToken = 'bench-admin-token-0123456789';
const room = 'polled';
const prefix = 'hc';
const { countPollS, countCacheMs, countMaxAgeS } = loadConfig({});

/** A port nobody listens on now, chosen by the OS. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/** The service under test and the keep-alive connections the pages share. */
interface Service {
  base: string;
  pid: number;
  agent: Agent;
}

/** One GET; resolves with the status and the ETag. */
function get(
  agent: Agent,
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
async function storeCountCalls({ agent, base }: Service): Promise<number> {
  const { body } = await get(agent, `${base}/metrics`, { authorization: `Bearer ${adminToken}` });
  const line = body
    .split('\n')
    .find((l) => l.startsWith('headcount_store_command_duration_seconds_count{command="count"}'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const beat = (i: number): Heartbeat => {
  const id = `p${String(i).padStart(9, '0')}`;
  return { room, session: id, viewer: id, state: 'visible' };
};

/**
 * Every page reads the count once per poll interval, spread evenly, for durationS (after one
 * round unmeasured, so that every page holds an ETag); `changing` runs alongside. Requests per
 * second fall short of pages / COUNT_POLL_S when this process or the service cannot keep up.
 */
async function poll(
  name: CountPollingRow['room'],
  service: Service,
  { pages, durationS, connections }: CountPollingOptions,
  changing: (stop: () => boolean, changed: () => void) => Promise<void>,
): Promise<CountPollingRow> {
  const etags: (string | undefined)[] = new Array(pages);
  const url = `${service.base}/v1/rooms/${room}/count`;
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
    const res = await get(service.agent, url, headers);
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
      [cpu0, calls0] = [processCpuMs(service.pid), await storeCountCalls(service)];
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
  const [cpu1, calls1] = [processCpuMs(service.pid), await storeCountCalls(service)];
  stopAt = 0;
  await changer;
  return {
    room: name,
    pages,
    requests,
    rps: requests / seconds,
    share304: notModified / requests,
    cpuUs: ((cpu1 - cpu0) * 1000) / requests,
    // The two /metrics scrapes read no count from the store.
    storeCallsPerS: (calls1 - calls0) / seconds,
    changesPerS: changes / seconds,
  };
}

/** Starts the service from source on a free port against this Redis, and waits for it. */
async function startService(redisUrl: string): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  // The shipped settings, but for ttls long enough to keep the loaded sessions online.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
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
  const agent = new Agent();
  try {
    for (let i = 0; ; i++) {
      const up = await get(agent, `${base}/healthz`, {}).then(
        (r) => r.status === 200,
        () => false,
      );
      if (up) return { child, base };
      if (i > 600) throw new Error('the service did not come up');
      await sleep(100);
    }
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  } finally {
    agent.destroy();
  }
}

/** The quiet room's row, then the busy room's, against one service and one room of `pages`. */
export async function countPollingBench(options: CountPollingOptions): Promise<CountPollingResult> {
  const { pages, churnPerS } = options;
  const redis = new RedisServer(await freePort());
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  let child: ChildProcess | undefined;
  try {
    await redis.start();
    const started = await startService(redis.url);
    child = started.child;
    const service: Service = { base: started.base, pid: child.pid!, agent };

    const client = createRedisClient({ urls: [redis.url], cluster: false, timeoutMs: 10_000 });
    await waitForReady(client, 5_000);
    const store = new RedisPresenceStore(client, longTtlRules, prefix, 10_000);
    try {
      for (let i = 0; i < pages; i += 2_000) {
        await Promise.all(
          Array.from({ length: Math.min(2_000, pages - i) }, (_, k) =>
            store.heartbeat(beat(i + k)),
          ),
        );
      }

      const quiet = await poll('quiet', service, options, async () => {});
      // Each tick, one page joins and one leaves (its count drops after the leave grace).
      let next = pages;
      const busy = await poll('busy', service, options, async (stop, changed) => {
        while (!stop()) {
          await store.heartbeat(beat(next++));
          await store.leave(room, beat(next - pages).session);
          changed();
          changed();
          await sleep(1000 / churnPerS);
        }
      });
      return { rows: [quiet, busy], options, settings: { countPollS, countCacheMs, countMaxAgeS } };
    } finally {
      await client.quit();
    }
  } finally {
    agent.destroy();
    child?.kill('SIGTERM');
    await redis.stop();
  }
}

const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');

/**
 * What the rows ran at, then their table. With the bare route's CPU µs per count request (from
 * the same run), a column of each row's CPU per request against it.
 */
export function countPollingTable(
  { rows, options, settings }: CountPollingResult,
  bareCountCpuUs?: number,
): string[] {
  const toBare = bareCountCpuUs !== undefined;
  return [
    `${options.pages.toLocaleString('en')} pages polling one room every ${settings.countPollS} s with If-None-Match ` +
      `(COUNT_CACHE_MS=${settings.countCacheMs}, COUNT_MAX_AGE_S=${settings.countMaxAgeS}), ${options.durationS} s per row, ` +
      `${options.churnPerS} joins and as many leaves a second in the busy room:`,
    '',
    `| room | pages | requests/s | 304 share | service CPU µs per request |${toBare ? ' CPU to bare count |' : ''} store count calls/s | changes/s |`,
    `| --- | ---: | ---: | ---: | ---: |${toBare ? ' ---: |' : ''} ---: | ---: |`,
    ...rows.map(
      (r) =>
        `| ${r.room} | ${r.pages.toLocaleString('en')} | ${r.rps.toFixed(0)} | ${(r.share304 * 100).toFixed(1)} % | ${r.cpuUs.toFixed(0)} |${toBare ? ` ${x(r.cpuUs / bareCountCpuUs)} |` : ''} ${r.storeCallsPerS.toFixed(1)} | ${r.changesPerS.toFixed(1)} |`,
    ),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await countPollingBench({
    pages: Number(process.env.BENCH_PAGES ?? 10_000),
    durationS: Number(process.env.BENCH_DURATION_S ?? 10),
    churnPerS: Number(process.env.BENCH_CHURN_PER_S ?? busyRoomChurnPerS),
    connections: Number(process.env.BENCH_CONNECTIONS ?? 64),
  });
  console.log(`\n${countPollingTable(result).join('\n')}`);
}
