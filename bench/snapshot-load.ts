// Heartbeat throughput while the archive takes a snapshot of many active rooms: wrk drives
// POST /v1/heartbeat on the built service, first alone, then while this process runs snapshots
// back to back over the same Redis (as the instance that won the snapshot lock would).
// Goal: throughput during a snapshot of 100 000 rooms at least 80 % of throughput without.
//   npm run build && npx tsx bench/snapshot-load.ts
//   (BENCH_REDIS_URL, BENCH_DATABASE_URL, BENCH_ROOMS=100000, BENCH_DURATION_S=20, BENCH_PORT=18290)
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { runSnapshot, type SnapshotRun } from '../src/archive/snapshot.js';
import { openDatabase } from '../src/db/client.js';
import { createRedisClient, waitForReady } from '../src/presence/redis-client.js';
import { RedisPresenceStore } from '../src/presence/redis-store.js';
import { deletePrefix } from '../test/support/stores.js';
import { benchDatabaseUrl, benchRedisUrl } from './env.js';
import { longTtlRules } from './rules.js';
import { heartbeatWave, redisCpuMs } from './snapshot.js';

const run = promisify(execFile);

export interface SnapshotLoadOptions {
  rooms: number;
  redisUrl: string;
  databaseUrl: string | null;
  /** Length of each wrk run, s. */
  durationS: number;
  port: number;
  connections: number;
}

export interface WrkFigures {
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface SnapshotLoadResult {
  bench: 'snapshot-load';
  rooms: number;
  /** Heartbeats with no snapshot running. */
  without: WrkFigures;
  /** Heartbeats while snapshots of `rooms` rooms ran back to back. */
  during: WrkFigures;
  /** during.requestsPerS / without.requestsPerS (goal ≥ 0.80). */
  ratio: number;
  /** The snapshots that ran during the second wrk run (the last one may end after it). */
  snapshots: Pick<SnapshotRun, 'ms' | 'rooms' | 'phases'>[];
  /** CPU time of redis-server during each wrk run, ms. */
  redisCpuMs: { without: number; during: number };
}

const rules = longTtlRules;
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** wrk's latency figure in ms ("812.00us", "3.21ms", "1.02s"). */
function latencyMs(text: string | undefined): number {
  const match = /([\d.]+)(us|ms|s)/.exec(text ?? '');
  if (!match) return Number.NaN;
  const scale = { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
  return Number(match[1]) * scale;
}

/** One wrk run of heartbeats (one thread: the other core serves). */
async function wrk(url: string, durationS: number, connections: number): Promise<WrkFigures> {
  const { stdout } = await run(
    'wrk',
    ['-t1', `-c${connections}`, `-d${durationS}s`, '--latency', '-s', 'bench/heartbeat.lua', url],
    { maxBuffer: 1 << 20 },
  );
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  if (non2xx > 0) throw new Error(`wrk saw ${non2xx} failed responses:\n${stdout}`);
  return {
    requestsPerS: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1])),
    p50Ms: latencyMs(/\s50%\s+(\S+)/.exec(stdout)?.[1]),
    p99Ms: latencyMs(/\s99%\s+(\S+)/.exec(stdout)?.[1]),
    maxMs: latencyMs(/Latency\s+\S+\s+\S+\s+(\S+)/.exec(stdout)?.[1]),
  };
}

async function waitForHttp(url: string) {
  for (let i = 0; i < 300; i++) {
    const up = await fetch(url).then(
      (r) => r.status < 500,
      () => false,
    );
    if (up) return;
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

export async function snapshotLoadBench(options: SnapshotLoadOptions): Promise<SnapshotLoadResult> {
  // The service and this process share one key prefix: the snapshot archives the service's rooms.
  const prefix = `hcload${randomBytes(3).toString('hex')}`;
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const service: ChildProcess = spawn('node', ['dist/server.js'], {
    env: {
      ...process.env,
      REDIS_URL: options.redisUrl,
      REDIS_PREFIX: prefix,
      DATA_DIR: 'memory://',
      PORT: String(options.port),
      LOG_LEVEL: 'warn',
      ADMIN_TOKEN: 'bench-admin-token-0123456789',
      SNAPSHOT_ENABLED: 'false',
      RATE_LIMIT_MAX: '1000000000',
      VISIBLE_TTL_S: '3600',
      HIDDEN_TTL_S: '3600',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const client = createRedisClient({
    urls: [options.redisUrl],
    cluster: false,
    timeoutMs: 10_000,
  });
  const database = await openDatabase({
    databaseUrl: options.databaseUrl,
    dataDir: 'memory://',
    schema,
  });
  try {
    await waitForReady(client, 10_000);
    const store = new RedisPresenceStore(client, rules, prefix, 10_000);
    const base = `http://127.0.0.1:${options.port}`;
    await waitForHttp(`${base}/healthz`);
    await heartbeatWave(store, options.rooms, 1);
    // A first snapshot, so that the measured ones update live periods as every later minute does.
    await runSnapshot({ store, db: database.db, log: silent });
    // Warm-up (JIT, connections, script cache).
    await wrk(`${base}/v1/heartbeat`, Math.min(5, options.durationS), options.connections);

    let cpu = await redisCpuMs(client);
    const without = await wrk(`${base}/v1/heartbeat`, options.durationS, options.connections);
    const cpuWithout = (await redisCpuMs(client)) - cpu;

    const snapshots: SnapshotLoadResult['snapshots'] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        const r = await runSnapshot({ store, db: database.db, log: silent });
        if (r.status !== 'ok') throw new Error(`snapshot ${r.status}: ${r.error ?? ''}`);
        snapshots.push({ ms: r.ms, rooms: r.rooms, phases: r.phases });
      }
    })();
    cpu = await redisCpuMs(client);
    const during = await wrk(`${base}/v1/heartbeat`, options.durationS, options.connections);
    const cpuDuring = (await redisCpuMs(client)) - cpu;
    running = false;
    await loop;
    return {
      bench: 'snapshot-load',
      rooms: options.rooms,
      without,
      during,
      ratio: Number((during.requestsPerS / without.requestsPerS).toFixed(2)),
      snapshots,
      redisCpuMs: { without: Math.round(cpuWithout), during: Math.round(cpuDuring) },
    };
  } finally {
    service.kill('SIGTERM');
    await deletePrefix(client, prefix);
    if (database.kind === 'postgres') await database.query(`DROP SCHEMA "${schema}" CASCADE`);
    await database.close();
    await client.quit();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await snapshotLoadBench({
    rooms: Number(process.env.BENCH_ROOMS ?? 100_000),
    redisUrl: benchRedisUrl,
    databaseUrl: benchDatabaseUrl,
    durationS: Number(process.env.BENCH_DURATION_S ?? 20),
    port: Number(process.env.BENCH_PORT ?? 18290),
    connections: Number(process.env.BENCH_CONNECTIONS ?? 64),
  });
  console.log(JSON.stringify(result, null, 2));
}
