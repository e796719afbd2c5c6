// The admin rooms list at scale: GET /v1/rooms?limit=50 over 100 000 active rooms, through the
// real app (app.inject), on a Redis of its own and on the embedded store. Goal: at most 50 ms.
//   npx tsx bench/rooms-list.ts     (BENCH_ROOMS=100000 rooms, BENCH_RUNS=30 requests per row)
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { RedisServer } from '../test/support/redis-server.js';

const redisPort = 16430;
const adminToken = 'bench-admin-token-0123456789';

export interface Timing {
  medianMs: number;
  p95Ms: number;
  runs: number;
}

export interface RoomsListFigures {
  rooms: number;
  /** Store kind → query → timing. */
  redis: Record<string, Timing>;
  embedded: Record<string, Timing>;
}

/** What is timed: the first page, a narrow prefix (100 rooms), a broad prefix (every room), sorts. */
export const queries = [
  'limit=50',
  'limit=50&prefix=room-0012',
  'limit=50&prefix=room-',
  'limit=50&sort=viewers',
  'limit=50&sort=room&prefix=room-05',
  'limit=50&offset=500',
];

/** Room i has 1 + i % 5 sessions; the ids sort in the order of i. */
const roomId = (i: number) => `room-${String(i).padStart(5, '0')}`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

async function openBenchApp(env: Record<string, string>): Promise<FastifyInstance> {
  const config = loadConfig({
    ADMIN_TOKEN: adminToken,
    RATE_LIMIT_MAX: '10000000',
    SNAPSHOT_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    DATA_DIR: 'memory://',
    // Long ttls: every loaded room stays active for the whole run.
    VISIBLE_TTL_S: '3600',
    HIDDEN_TTL_S: '3600',
    STORE_TIMEOUT_MS: '30000',
    ...env,
  });
  const database = await openDatabase({ databaseUrl: null, dataDir: 'memory://' });
  const app = await buildApp({ config, database });
  app.addHook('onClose', () => database.close());
  await app.ready();
  return app;
}

async function load(app: FastifyInstance, rooms: number) {
  const batch = 2_000;
  for (let i = 0; i < rooms; i += batch) {
    const beats: Promise<unknown>[] = [];
    for (let r = i; r < Math.min(rooms, i + batch); r++) {
      for (let s = 0; s <= r % 5; s++) {
        beats.push(
          app.store.heartbeat({
            room: roomId(r),
            session: `session-${r}-${s}`,
            viewer: `viewer-${r}-${s % 3}`,
            state: s % 4 === 3 ? 'hidden' : 'visible',
          }),
        );
      }
    }
    await Promise.all(beats);
  }
}

async function time(app: FastifyInstance, query: string, runs: number): Promise<Timing> {
  const ms: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const started = performance.now();
    const res = await app.inject({
      url: `/v1/rooms?${query}`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const elapsed = performance.now() - started;
    if (res.statusCode !== 200) throw new Error(`${query}: ${res.statusCode} ${res.body}`);
    if (i > 0) ms.push(elapsed); // the first request warms up
  }
  ms.sort((a, b) => a - b);
  return { medianMs: percentile(ms, 0.5), p95Ms: percentile(ms, 0.95), runs };
}

async function timeAll(app: FastifyInstance, runs: number): Promise<Record<string, Timing>> {
  const timings: Record<string, Timing> = {};
  for (const query of queries) timings[query] = await time(app, query, runs);
  return timings;
}

export async function benchRoomsList({
  rooms = 100_000,
  runs = 30,
}: {
  rooms?: number;
  runs?: number;
} = {}): Promise<RoomsListFigures> {
  const redis = new RedisServer(redisPort);
  await redis.start();
  const figures: RoomsListFigures = { rooms, redis: {}, embedded: {} };
  try {
    const app = await openBenchApp({ REDIS_URL: redis.url, REDIS_PREFIX: 'hcbench' });
    try {
      await load(app, rooms);
      figures.redis = await timeAll(app, runs);
    } finally {
      await app.close();
    }
  } finally {
    await redis.stop();
  }
  const embedded = await openBenchApp({});
  try {
    await load(embedded, rooms);
    figures.embedded = await timeAll(embedded, runs);
  } finally {
    await embedded.close();
  }
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rooms = Number(process.env.BENCH_ROOMS ?? 100_000);
  const runs = Number(process.env.BENCH_RUNS ?? 30);
  const figures = await benchRoomsList({ rooms, runs });
  console.log(`GET /v1/rooms over ${rooms} active rooms, ${runs} requests per row (ms)`);
  for (const kind of ['redis', 'embedded'] as const) {
    for (const [query, t] of Object.entries(figures[kind])) {
      console.log(
        `${kind.padEnd(9)} ${query.padEnd(36)} median ${t.medianMs.toFixed(1).padStart(8)}  p95 ${t.p95Ms.toFixed(1).padStart(8)}`,
      );
    }
  }
  process.exit(0);
}
