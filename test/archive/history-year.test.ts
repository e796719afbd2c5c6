// A year of one room in the database (seeded with set-based SQL, as the snapshot job would have
// left it: a minute row for every minute, and the rollups the migration builds from them): the
// history route answers a year at 1d and 30 days at 1h from the rollup tables, quickly. How
// quickly is measured in wall time, which a busy machine stretches: in CI and with
// HEADCOUNT_LONG=1 (test/support/long-runs.ts), not in a developer's run of the whole suite.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { auth, openArchiveApp } from '../support/archive-app.js';
import { closeTestDatabase, databaseKinds, openTestDatabase } from '../support/databases.js';
import { longRuns } from '../support/long-runs.js';
import { roomPrefix } from '../support/readings.js';
import { rebuildRollups } from '../support/seed.js';

/** The latency goal of a history answer, ms; asserted with room for a busy test machine. */
const goalMs = 50;
const slack = 4;

describe.each(databaseKinds)('a year of history on $kind', ({ kind }) => {
  let database: Database;
  let app: FastifyInstance;
  const room = roomPrefix();
  beforeAll(async () => {
    database = await openTestDatabase(kind);
    // 525 600 minutes of 2025: counts that wander over the day, a peak above the count in each.
    await database.query(`INSERT INTO snapshots (room, period_start, period_end, sessions, viewers,
        visible, peak_sessions, peak_sessions_at, peak_viewers, peak_viewers_at, joins)
      SELECT '${room}', t, t + interval '1 minute', s, greatest(1, s - 3), s, s + (m % 5),
        t + interval '17 seconds', greatest(1, s - 3) + (m % 3), t + interval '23 seconds', m % 4
      FROM generate_series(timestamptz '2025-01-01 00:00:00+00', timestamptz '2025-12-31 23:59:00+00',
        interval '1 minute') AS t,
        LATERAL (SELECT (extract(epoch FROM t) / 60)::bigint AS m) AS minute,
        LATERAL (SELECT (10 + (m % 1440) / 20 + (m % 7))::int AS s) AS count`);
    await rebuildRollups(database, [room]);
    app = await openArchiveApp(database);
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await closeTestDatabase(database);
  });

  const history = async (query: string) => {
    const started = performance.now();
    const res = await app.inject({ url: `/v1/rooms/${room}/history?${query}`, headers: auth });
    const ms = performance.now() - started;
    expect(res.statusCode).toBe(200);
    return { ms, points: (res.json() as { points: { peak_sessions: number }[] }).points };
  };

  /** Median of several answers after a first one (plans and caches warm), ms. */
  async function medianMs(query: string) {
    await history(query);
    const times: number[] = [];
    for (let i = 0; i < 9; i++) times.push((await history(query)).ms);
    return times.sort((a, b) => a - b)[4]!;
  }

  const year = 'from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&step=1d';
  const month = 'from=2025-06-01T00:00:00Z&to=2025-07-01T00:00:00Z&step=1h';

  it(`answers a year at 1d and 30 days at 1h${longRuns ? ' within the goal' : ''}, from the rollups alone`, async () => {
    const days = await history(year);
    const hours = await history(month);
    expect(days.points).toHaveLength(365);
    expect(hours.points).toHaveLength(720);
    if (longRuns) {
      const yearMs = await medianMs(year);
      const monthMs = await medianMs(month);
      console.info(
        `history on ${kind}, a year of minutes stored: a year at 1d ${yearMs.toFixed(1)} ms, 30 days at 1h ${monthMs.toFixed(1)} ms (median of 9)`,
      );
      expect(yearMs).toBeLessThan(goalMs * slack);
      expect(monthMs).toBeLessThan(goalMs * slack);
    }
    // The same answers with no minute row left: they came from the rollup tables.
    await database.query(`DELETE FROM snapshots WHERE room = '${room}'`);
    expect((await history(year)).points).toEqual(days.points);
    expect((await history(month)).points).toEqual(hours.points);
    expect(Math.max(...days.points.map((p) => p.peak_sessions))).toBe(10 + 71 + 6 + 4);
  });
});
