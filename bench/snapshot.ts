// Snapshot of 10 000 active rooms end to end: lock, list, read from Redis in batches, write to
// PostgreSQL in one transaction, commit the readings back to Redis. Goal: at most 1 s.
//   npx tsx bench/snapshot.ts                 (PostgreSQL at BENCH_DATABASE_URL, Redis at BENCH_REDIS_URL)
//   BENCH_DB=pglite npx tsx bench/snapshot.ts (embedded PostgreSQL, in memory)
import { randomBytes } from 'node:crypto';
import { runSnapshot } from '../src/archive/snapshot.js';
import { openDatabase } from '../src/db/client.js';
import { createRedisClient, waitForReady } from '../src/presence/redis-client.js';
import { RedisPresenceStore } from '../src/presence/redis-store.js';
import type { PresenceRules } from '../src/presence/store.js';
import { deletePrefix } from '../test/support/stores.js';

const rooms = Number(process.env.BENCH_ROOMS ?? 10_000);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl =
  process.env.BENCH_DB === 'pglite'
    ? null
    : (process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const prefix = `hcbench${randomBytes(4).toString('hex')}`;
const schema = `bench_${randomBytes(4).toString('hex')}`;
// Long ttls: every room stays active for the whole benchmark.
const rules: PresenceRules = {
  visibleTtlMs: 3_600_000,
  hiddenTtlMs: 3_600_000,
  leaveGraceMs: 5_000,
  visibleIntervalMs: 1,
  hiddenIntervalMs: 1,
};
const silent = { info() {}, warn() {}, error() {}, debug() {} };

const client = createRedisClient({ urls: [redisUrl], cluster: false, timeoutMs: 10_000 });
await waitForReady(client, 10_000);
const store = new RedisPresenceStore(client, rules, prefix);
const database = await openDatabase({ databaseUrl, dataDir: 'memory://', schema });

/** One wave of heartbeats: a new session in every room (a join, a new peak). */
async function wave(n: number) {
  for (let i = 0; i < rooms; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, rooms - i) }, (_, j) =>
        store.heartbeat({
          room: `room-${i + j}`,
          session: `session-${n}-${i + j}`,
          state: 'visible',
          entry: j % 3 === 0 ? 'newsletter' : 'search',
        }),
      ),
    );
  }
}

const results: Record<string, number>[] = [];
try {
  for (let run = 1; run <= runs; run++) {
    await wave(run);
    const result = await runSnapshot({ store, db: database.db, log: silent });
    if (result.status !== 'ok')
      throw new Error(`run ${run}: ${result.status} ${result.error ?? ''}`);
    if (result.rooms !== rooms)
      throw new Error(`run ${run}: read ${result.rooms} rooms, expected ${rooms}`);
    results.push({ run, totalMs: result.ms, ...result.phases, written: result.written });
  }
} finally {
  await deletePrefix(client, prefix);
  if (database.kind === 'postgres') await database.query(`DROP SCHEMA "${schema}" CASCADE`);
  await database.close();
  await client.quit();
}

const median = (key: string) => {
  const values = results
    .slice(1)
    .map((r) => r[key] ?? 0)
    .sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)];
};
console.table(results);
console.log(
  JSON.stringify({
    bench: 'snapshot',
    database: database.kind,
    rooms,
    firstRunMs: results[0]?.totalMs,
    medianMs: median('totalMs'),
    medianReadMs: median('readMs'),
    medianWriteMs: median('writeMs'),
    medianCommitMs: median('commitMs'),
  }),
);
