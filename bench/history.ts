// One room's history over 30 days of one-minute snapshots (43 200 rows) rolled up to one hour,
// with nine other rooms of the same size in the table. Goal on PostgreSQL: at most 50 ms.
//   npx tsx bench/history.ts                 (PostgreSQL at BENCH_DATABASE_URL)
//   BENCH_DB=pglite npx tsx bench/history.ts (embedded PostgreSQL, in memory)
import { randomBytes } from 'node:crypto';
import { readHistory, type Step } from '../src/archive/history.js';
import { openDatabase } from '../src/db/client.js';
import { benchDatabaseUrl } from './env.js';

const days = 30;
const otherRooms = 9;
const iterations = Number(process.env.BENCH_ITERATIONS ?? 30);
const databaseUrl = benchDatabaseUrl;
const schema = `bench_${randomBytes(4).toString('hex')}`;
const database = await openDatabase({ databaseUrl, dataDir: 'memory://', schema });

const to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
const from = new Date(to.getTime() - days * 86_400_000);
const room = 'bench-room';

try {
  const seeded = performance.now();
  // One row per room per minute: a daily wave of sessions, a peak a little above, a join or two.
  await database.query(`
    INSERT INTO snapshots
    SELECT r.room, m, m + interval '1 minute',
           s, greatest(s - 3, 0), s / 2, s + 4, m + interval '17 seconds', greatest(s - 1, 0), m + interval '18 seconds',
           (extract(minute FROM m)::int % 3)
    FROM (SELECT 'bench-room' AS room UNION ALL SELECT 'other-' || g FROM generate_series(1, ${otherRooms}) g) r,
         generate_series(timestamptz '${from.toISOString()}', timestamptz '${to.toISOString()}' - interval '1 minute', interval '1 minute') m,
         LATERAL (SELECT (50 + 40 * sin(extract(epoch FROM m) / 86400 * 2 * pi()))::int AS s) x`);
  await database.query('ANALYZE snapshots');
  const [count] = await database.query(
    `SELECT count(*)::int AS n FROM snapshots WHERE room = '${room}'`,
  );
  const seedMs = Math.round(performance.now() - seeded);

  const measure = async (step: Step, rangeFrom: Date) => {
    let points = 0;
    for (let i = 0; i < 3; i++)
      points = (await readHistory(database.db, { room, from: rangeFrom, to, step })).length;
    const times: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      await readHistory(database.db, { room, from: rangeFrom, to, step });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const at = (q: number) =>
      Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]! * 10) / 10;
    return { step, points, medianMs: at(0.5), p95Ms: at(0.95) };
  };

  const results = [
    await measure('1h', from),
    await measure('1d', from),
    await measure('1m', new Date(to.getTime() - 86_400_000)),
    await measure('5m', new Date(to.getTime() - 7 * 86_400_000)),
  ];
  console.table(results);
  console.log(
    JSON.stringify({
      bench: 'history',
      database: database.kind,
      rowsForRoom: count?.n,
      seedMs,
      results,
    }),
  );
} finally {
  if (database.kind === 'postgres') await database.query(`DROP SCHEMA "${schema}" CASCADE`);
  await database.close();
}
