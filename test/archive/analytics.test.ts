// The analyst queries of docs/analytics.md (the five questions, and the two about activity beside
// viewers), read from the doc itself (so the doc and the test cannot drift) and run on both
// databases against seeded data with known answers.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { closeTestDatabase, databaseKinds, openTestDatabase } from '../support/databases.js';
import {
  livePeriodRow,
  type Minute,
  seedEntries,
  seedLivePeriods,
  seedSnapshots,
} from '../support/seed.js';

const doc = readFileSync(new URL('../../docs/analytics.md', import.meta.url), 'utf8');
/** The text of a section, from its heading to the next one of its level. */
const sectionOf = (heading: string) => {
  const start = doc.indexOf(`\n## ${heading}`);
  const end = doc.indexOf('\n## ', start + 1);
  return start < 0 ? '' : doc.slice(start, end < 0 ? undefined : end);
};
const questionsOf = (section: string) =>
  [...section.matchAll(/^### (\d+)\. (.+)\n+```sql\n([\s\S]+?)```/gm)].map((m) => ({
    n: Number(m[1]),
    title: m[2]!,
    sql: m[3]!,
  }));
const fiveQuestions = questionsOf(sectionOf('The five questions'));
const activityQuestions = questionsOf(sectionOf('Activity beside viewers'));
const queries = [...fiveQuestions, ...activityQuestions];

/** Values as plain JSON whichever driver read them: numbers, ISO times. */
function plain(row: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => {
      if (v instanceof Date) return [k, v.toISOString()];
      if (typeof v === 'bigint') return [k, Number(v)];
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}[ T]\d{2}:/.test(v))
        return [k, new Date(v).toISOString()];
      if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return [k, Number(v)];
      return [k, v];
    }),
  );
}

const minutes = (from: string, count: number, f: (i: number) => Partial<Minute>): Minute[] =>
  Array.from({ length: count }, (_, i) => ({
    start: new Date(Date.parse(from) + i * 60_000).toISOString(),
    sessions: 1,
    ...f(i),
  }));

async function seed(database: Database) {
  // launch-stream, 2026-11-24: a morning blip (06:00-06:10) and an evening show (18:00-21:00).
  await seedSnapshots(database, 'launch-stream', [
    ...minutes('2026-11-24T06:00:00Z', 10, () => ({ sessions: 3, joins: 1 })),
    ...minutes('2026-11-24T18:00:00Z', 60, () => ({ sessions: 30, joins: 1 })),
    ...minutes('2026-11-24T19:00:00Z', 60, (i) =>
      i === 30
        ? { sessions: 90, peakSessions: 120, peakSessionsAt: '2026-11-24T19:30:15Z', joins: 6 }
        : { sessions: 90, joins: 1 },
    ),
    ...minutes('2026-11-24T20:00:00Z', 60, () => ({ sessions: 60 })),
  ]);
  await seedEntries(database, [
    {
      room: 'launch-stream',
      periodEnd: new Date('2026-11-24T06:01:00Z'),
      entry: 'search',
      joins: 2,
    },
    {
      room: 'launch-stream',
      periodEnd: new Date('2026-11-24T18:01:00Z'),
      entry: 'newsletter',
      joins: 3,
    },
    {
      room: 'launch-stream',
      periodEnd: new Date('2026-11-24T19:31:00Z'),
      entry: 'social',
      joins: 5,
    },
    {
      room: 'launch-stream',
      periodEnd: new Date('2026-11-24T19:32:00Z'),
      entry: 'newsletter',
      joins: 1,
    },
  ]);
  await seedComments(database);
  // Last week's rooms; webinar reaches 60 twice and keeps the first time.
  await seedSnapshots(database, 'podcast', [
    { start: '2026-11-18T09:00:00Z', sessions: 40, joins: 40 },
  ]);
  await seedSnapshots(database, 'webinar', [
    {
      start: '2026-11-20T10:00:00Z',
      sessions: 50,
      peakSessions: 60,
      peakSessionsAt: '2026-11-20T10:00:05Z',
      joins: 60,
    },
    { start: '2026-11-20T11:00:00Z', sessions: 60, joins: 5 },
  ]);
  // The week before: not last week.
  await seedSnapshots(database, 'docs-page', [{ start: '2026-11-10T12:00:00Z', sessions: 300 }]);
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000).toISOString();
  await seedLivePeriods(database, [
    livePeriodRow('launch-stream', '2026-11-24T06:00:00Z', '2026-11-24T06:10:30Z', {
      peakSessions: 3,
    }),
    livePeriodRow('launch-stream', '2026-11-24T18:00:00Z', '2026-11-24T21:00:30Z', {
      peakSessions: 120,
      peakSessionsAt: new Date('2026-11-24T19:30:15Z'),
      joins: 125,
      uniqueViewersEstimate: 110,
    }),
    livePeriodRow('podcast', '2026-11-18T09:00:00Z', '2026-11-18T09:30:00Z', { peakSessions: 40 }),
    livePeriodRow('webinar', twoHoursAgo, null, { peakSessions: 60 }),
  ]);
}

/**
 * launch-stream's evening show is commented on three minutes behind its audience: a comment per
 * ten viewers there were three minutes before (none in the first three minutes), and a reaction a
 * minute from 19:00 to 20:00 that no comment question counts. Written beside the snapshot rows as
 * the snapshot job writes them, with the hourly and daily sums it keeps.
 */
async function seedComments(database: Database) {
  await database.query(`INSERT INTO snapshot_activity (room, period_start, period_end, kind, count)
    SELECT s.room, s.period_start, s.period_end, 'comment', before.viewers / 10
    FROM snapshots s
    JOIN snapshots before ON before.room = s.room AND before.period_end = s.period_end - interval '3 minutes'
    WHERE s.room = 'launch-stream' AND s.period_start >= timestamptz '2026-11-24 18:00:00+00'`);
  await database.query(`INSERT INTO snapshot_activity (room, period_start, period_end, kind, count)
    SELECT room, period_start, period_end, 'reaction', 1 FROM snapshots
    WHERE room = 'launch-stream' AND period_start >= timestamptz '2026-11-24 19:00:00+00'
      AND period_start < timestamptz '2026-11-24 20:00:00+00'`);
  for (const [table, unit] of [
    ['snapshot_activity_hourly', 'hour'],
    ['snapshot_activity_daily', 'day'],
  ]) {
    await database.query(`INSERT INTO ${table} (room, ${unit}, kind, count)
      SELECT room, date_trunc('${unit}', period_start, 'UTC'), kind, sum(count)
      FROM snapshot_activity GROUP BY 1, 2, 3`);
  }
}

describe('docs/analytics.md', () => {
  it('has the five questions, each with one SQL query', () => {
    expect(fiveQuestions.map((q) => q.n)).toEqual([1, 2, 3, 4, 5]);
  });
  it('has the two questions about activity beside viewers, each with one SQL query', () => {
    expect(activityQuestions.map((q) => q.n)).toEqual([6, 7]);
  });
});

describe.each(databaseKinds)('the five analyst queries on $kind', ({ kind }) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
    await seed(database);
  });
  afterAll(() => closeTestDatabase(database));

  const run = async (n: number) => {
    const query = queries.find((q) => q.n === n);
    if (!query) throw new Error(`question ${n} is missing from docs/analytics.md`);
    return (await database.query(query.sql)).map(plain);
  };

  it('1. finds the peak of a room on a day and when it was first reached', async () => {
    expect(await run(1)).toEqual([
      {
        day: '2026-11-24T00:00:00.000Z',
        peak_sessions: 120,
        peak_sessions_at: '2026-11-24T19:30:15.000Z',
        peak_viewers: 90,
        peak_viewers_at: '2026-11-24T19:00:00.000Z',
      },
    ]);
  });

  it('2. ranks the rooms by peak over last week', async () => {
    expect(await run(2)).toEqual([
      {
        room: 'webinar',
        peak_sessions: 60,
        peak_sessions_at: '2026-11-20T10:00:05.000Z',
        joins: 65,
      },
      {
        room: 'podcast',
        peak_sessions: 40,
        peak_sessions_at: '2026-11-18T09:00:00.000Z',
        joins: 40,
      },
    ]);
  });

  it('3. averages concurrency by hour of day, empty hours counting as zero', async () => {
    const rows = await run(3);
    expect(rows).toHaveLength(24);
    const byHour = new Map(rows.map((r) => [r.hour_of_day, r]));
    // 30 days in November: one day at 30, 90 and 60 sessions, and a 10-minute blip at 3.
    expect(byHour.get(18)).toEqual({ hour_of_day: 18, sessions_avg: 1, peak_sessions: 30 });
    expect(byHour.get(19)).toEqual({ hour_of_day: 19, sessions_avg: 3, peak_sessions: 120 });
    expect(byHour.get(20)).toEqual({ hour_of_day: 20, sessions_avg: 2, peak_sessions: 60 });
    expect(byHour.get(6)).toEqual({ hour_of_day: 6, sessions_avg: 0.1, peak_sessions: 3 });
    expect(byHour.get(12)).toEqual({ hour_of_day: 12, sessions_avg: 0, peak_sessions: 0 });
  });

  it('4. lists live periods longer than an hour, the open one included, with their peaks', async () => {
    const rows = await run(4);
    expect(rows.map((r) => [r.room, r.peak_sessions, r.ended_at ?? null]).sort()).toEqual(
      [
        ['launch-stream', 120, '2026-11-24T21:00:30.000Z'],
        ['webinar', 60, null],
      ].sort(),
    );
    expect(rows.find((r) => r.room === 'launch-stream')).toMatchObject({
      peak_sessions_at: '2026-11-24T19:30:15.000Z',
      joins: 125,
      unique_viewers_estimate: 110,
    });
  });

  it('5. splits the joins of one live period by entry, and only of that period', async () => {
    expect(await run(5)).toEqual([
      { entry: 'social', joins: 5 },
      { entry: 'newsletter', joins: 4 },
    ]);
  });

  it('6. gives comments per 100 viewers for every hour the room had, 0 where nobody commented', async () => {
    // 18:00: 57 minutes of 3 comments over 30 viewers; 19:00: 3 minutes of 3 and 57 of 9 over
    // 90; 20:00: 3 minutes of 9 and 57 of 6 over 60; the morning blip had none.
    expect(await run(6)).toEqual([
      {
        hour: '2026-11-24T06:00:00.000Z',
        viewers_avg: 3,
        comments: 0,
        comments_per_100_viewers: 0,
      },
      {
        hour: '2026-11-24T18:00:00.000Z',
        viewers_avg: 30,
        comments: 171,
        comments_per_100_viewers: 570,
      },
      {
        hour: '2026-11-24T19:00:00.000Z',
        viewers_avg: 90,
        comments: 522,
        comments_per_100_viewers: 580,
      },
      {
        hour: '2026-11-24T20:00:00.000Z',
        viewers_avg: 60,
        comments: 369,
        comments_per_100_viewers: 615,
      },
    ]);
  });

  it('7. correlates comments with viewers at every lag from -10 to +10 minutes, best where comments follow by three', async () => {
    const rows = await run(7);
    expect(rows.map((r) => r.lag_minutes)).toEqual(Array.from({ length: 21 }, (_, i) => i - 10));
    const at = (lag: number) => rows.find((r) => r.lag_minutes === lag)!;
    // Three minutes behind, comments are exactly a tenth of the viewers: r = 1 over 177 pairs.
    expect(at(3)).toEqual({ lag_minutes: 3, minutes: 177, r: 1 });
    expect(at(0).minutes).toBe(180);
    expect(at(0).r).toBeGreaterThan(0.5);
    expect(at(0).r).toBeLessThan(1);
    const best = [...rows].sort((a, b) => Number(b.r) - Number(a.r))[0];
    expect(best?.lag_minutes).toBe(3);
  });
});
