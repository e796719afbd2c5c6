// Snapshot of N active rooms end to end: lock, list, read from Redis in chunks while PostgreSQL
// writes the previous chunk (one transaction), commit the readings back to Redis.
// Goals: 10 000 rooms ≤ 0.5 s, 100 000 rooms ≤ 5 s on PostgreSQL.
//   npx tsx bench/snapshot.ts                 (PostgreSQL at BENCH_DATABASE_URL, Redis at BENCH_REDIS_URL)
//   BENCH_DB=pglite npx tsx bench/snapshot.ts (embedded PostgreSQL, in memory)
//   BENCH_ROOMS=100000 BENCH_RUNS=3 npx tsx bench/snapshot.ts
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { runSnapshot } from '../src/archive/snapshot.js';
import { openDatabase } from '../src/db/client.js';
import { createRedisClient, type RedisClient, waitForReady } from '../src/presence/redis-client.js';
import { RedisPresenceStore } from '../src/presence/redis-store.js';
import type { PresenceRules } from '../src/presence/store.js';
import { deletePrefix } from '../test/support/stores.js';
import { benchDatabaseUrl, benchRedisUrl } from './env.js';

export interface SnapshotBenchOptions {
  rooms: number;
  /** Runs measured; the first is reported apart (live periods inserted rather than updated). */
  runs: number;
  redisUrl: string;
  /** null: PGlite in memory. */
  databaseUrl: string | null;
}

export interface SnapshotBenchRun {
  run: number;
  totalMs: number;
  /** Time the store reads were busy, ms (they overlap the database writes). */
  readMs: number;
  /** Time the database writes were busy, ms. */
  writeMs: number;
  /** Reading and writing together, first read to the database's commit, ms. */
  archiveMs: number;
  commitMs: number;
  /** CPU time of this process (the snapshot's client side) during the run, ms. */
  cpuMs: number;
  /** CPU time of redis-server during the run (INFO cpu), ms. */
  redisCpuMs: number;
  written: number;
}

export interface SnapshotBenchResult {
  bench: 'snapshot';
  database: 'postgres' | 'pglite';
  rooms: number;
  runs: SnapshotBenchRun[];
  firstRunMs: number;
  /** Medians of the runs after the first. */
  median: Omit<SnapshotBenchRun, 'run' | 'written'>;
}

// Long ttls: every room stays active for the whole benchmark.
const rules: PresenceRules = {
  visibleTtlMs: 3_600_000,
  hiddenTtlMs: 3_600_000,
  leaveGraceMs: 5_000,
  visibleIntervalMs: 1,
  hiddenIntervalMs: 1,
};
const silent = { info() {}, warn() {}, error() {}, debug() {} };

/** CPU time redis-server has used, ms. */
export async function redisCpuMs(client: RedisClient): Promise<number> {
  const info = String(await client.info('cpu'));
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** One wave of heartbeats: a new session in every room (a join, a new peak). */
export async function heartbeatWave(store: RedisPresenceStore, rooms: number, wave: number) {
  for (let i = 0; i < rooms; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, rooms - i) }, (_, j) =>
        store.heartbeat({
          room: `room-${i + j}`,
          session: `session-${wave}-${i + j}`,
          state: 'visible',
          entry: j % 3 === 0 ? 'newsletter' : 'search',
        }),
      ),
    );
  }
}

export async function snapshotBench(options: SnapshotBenchOptions): Promise<SnapshotBenchResult> {
  const prefix = `hcbench${randomBytes(4).toString('hex')}`;
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const client = createRedisClient({
    urls: [options.redisUrl],
    cluster: false,
    timeoutMs: 10_000,
  });
  await waitForReady(client, 10_000);
  const store = new RedisPresenceStore(client, rules, prefix, 10_000);
  const database = await openDatabase({
    databaseUrl: options.databaseUrl,
    dataDir: 'memory://',
    schema,
  });
  const runs: SnapshotBenchRun[] = [];
  try {
    for (let run = 1; run <= options.runs; run++) {
      await heartbeatWave(store, options.rooms, run);
      const cpu = process.cpuUsage();
      const redisCpu = await redisCpuMs(client);
      const result = await runSnapshot({ store, db: database.db, log: silent });
      const cpuUsed = process.cpuUsage(cpu);
      if (result.status !== 'ok') {
        throw new Error(`run ${run}: ${result.status} ${result.error ?? ''}`);
      }
      if (result.rooms !== options.rooms) {
        throw new Error(`run ${run}: read ${result.rooms} rooms, expected ${options.rooms}`);
      }
      runs.push({
        run,
        totalMs: result.ms,
        readMs: result.phases?.readMs ?? 0,
        writeMs: result.phases?.writeMs ?? 0,
        archiveMs: result.phases?.archiveMs ?? 0,
        commitMs: result.phases?.commitMs ?? 0,
        cpuMs: Math.round((cpuUsed.user + cpuUsed.system) / 1000),
        redisCpuMs: Math.round((await redisCpuMs(client)) - redisCpu),
        written: result.written,
      });
    }
  } finally {
    await deletePrefix(client, prefix);
    if (database.kind === 'postgres') await database.query(`DROP SCHEMA "${schema}" CASCADE`);
    await database.close();
    await client.quit();
  }
  const median = (key: keyof SnapshotBenchRun) => {
    const values = runs
      .slice(runs.length > 1 ? 1 : 0)
      .map((r) => r[key])
      .sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)] ?? 0;
  };
  return {
    bench: 'snapshot',
    database: database.kind,
    rooms: options.rooms,
    runs,
    firstRunMs: runs[0]?.totalMs ?? 0,
    median: {
      totalMs: median('totalMs'),
      readMs: median('readMs'),
      writeMs: median('writeMs'),
      archiveMs: median('archiveMs'),
      commitMs: median('commitMs'),
      cpuMs: median('cpuMs'),
      redisCpuMs: median('redisCpuMs'),
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await snapshotBench({
    rooms: Number(process.env.BENCH_ROOMS ?? 10_000),
    runs: Number(process.env.BENCH_RUNS ?? 5),
    redisUrl: benchRedisUrl,
    databaseUrl: benchDatabaseUrl,
  });
  console.table(result.runs);
  console.log(JSON.stringify({ ...result, runs: undefined }));
}
