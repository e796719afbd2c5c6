// The hourly and daily rollup tables as the snapshot writes them: always what a GROUP BY over the
// minute rows would say (exact peaks with the time first reached, sums, averages, last readings),
// however the readings arrive: in order, retried, replacing a row never committed to the store,
// or written by two instances at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReadings } from '../../src/archive/writer.js';
import type { Database } from '../../src/db/client.js';
import {
  closeSecondInstance,
  closeTestDatabase,
  databaseKinds,
  openTestDatabase,
  secondInstance,
  t,
} from '../support/databases.js';
import { reading, roomPrefix } from '../support/readings.js';

const minute = 60_000;

/** The rollups as stored, and as a GROUP BY over the minute rows computes them, for one room. */
async function rollupsOf(database: Database, room: string, unit: 'hour' | 'day') {
  const table = unit === 'hour' ? 'snapshots_hourly' : 'snapshots_daily';
  const entries = unit === 'hour' ? 'snapshot_entries_hourly' : 'snapshot_entries_daily';
  const columns = `snapshots::int AS snapshots, sessions_avg::float8 AS sessions_avg, sessions_last,
    viewers_avg::float8 AS viewers_avg, viewers_last, peak_sessions,
    to_char(peak_sessions_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS peak_sessions_at, peak_viewers,
    to_char(peak_viewers_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS peak_viewers_at, joins::int AS joins`;
  const stored = await database.query(
    `SELECT to_char(${unit}, 'YYYY-MM-DD"T"HH24') AS bucket, ${columns} FROM ${table} WHERE room = '${room}' ORDER BY 1`,
  );
  const grouped = await database.query(`SELECT bucket, ${columns} FROM (
      SELECT to_char(date_trunc('${unit}', period_start, 'UTC'), 'YYYY-MM-DD"T"HH24') AS bucket,
        count(*) AS snapshots, avg(sessions) AS sessions_avg,
        (array_agg(sessions ORDER BY period_end DESC))[1] AS sessions_last,
        avg(viewers) AS viewers_avg, (array_agg(viewers ORDER BY period_end DESC))[1] AS viewers_last,
        max(peak_sessions) AS peak_sessions,
        (array_agg(peak_sessions_at ORDER BY peak_sessions DESC, peak_sessions_at ASC NULLS LAST))[1] AS peak_sessions_at,
        max(peak_viewers) AS peak_viewers,
        (array_agg(peak_viewers_at ORDER BY peak_viewers DESC, peak_viewers_at ASC NULLS LAST))[1] AS peak_viewers_at,
        sum(joins) AS joins
      FROM snapshots WHERE room = '${room}' GROUP BY 1) g ORDER BY 1`);
  const storedEntries = await database.query(
    `SELECT to_char(${unit}, 'YYYY-MM-DD"T"HH24') AS bucket, entry, joins::int AS joins FROM ${entries} WHERE room = '${room}' AND joins > 0 ORDER BY 1, 2`,
  );
  const groupedEntries = await database.query(
    `SELECT to_char(date_trunc('${unit}', s.period_start, 'UTC'), 'YYYY-MM-DD"T"HH24') AS bucket, e.entry, sum(e.joins)::int AS joins
     FROM snapshot_entries e JOIN snapshots s ON s.room = e.room AND s.period_end = e.period_end
     WHERE e.room = '${room}' GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  return { stored, grouped, storedEntries, groupedEntries };
}

async function expectExact(database: Database, room: string) {
  for (const unit of ['hour', 'day'] as const) {
    const r = await rollupsOf(database, room, unit);
    expect(r.stored.length).toBeGreaterThan(0);
    expect(r.stored).toEqual(r.grouped);
    expect(r.storedEntries).toEqual(r.groupedEntries);
  }
}

/**
 * A room over three hours across midnight UTC, one reading a minute: counts that move, a peak
 * reached twice (the first time must stay), a period that starts at 23:59 and ends after midnight.
 */
function readingsOf(room: string) {
  const start = t('2026-11-24T22:30:00.000Z');
  return Array.from({ length: 150 }, (_, i) => {
    const since = start + i * minute;
    const sessions = 1 + ((i * 7) % 11);
    const tie = i === 40 || i === 50;
    return reading({
      room,
      since,
      at: since + minute,
      sessions,
      viewers: Math.max(1, sessions - 2),
      peakSessions: tie ? 30 : sessions + 1,
      peakSessionsAt: since + 1_000,
      peakViewers: tie ? 20 : sessions,
      peakViewersAt: since + 2_000,
      joins: i % 4,
      joinsByEntry: i % 4 === 0 ? {} : { search: 1, ...(i % 4 > 1 ? { social: (i % 4) - 1 } : {}) },
    });
  });
}

describe.each(databaseKinds)('rollup tables on $kind', ({ kind }) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => closeTestDatabase(database));

  it('upserts each hour and day as its minutes arrive, equal to a GROUP BY over the minute rows', async () => {
    const room = roomPrefix();
    for (const r of readingsOf(room)) await writeReadings(database.db, [r]);
    await expectExact(database, room);
    const [hour] = await database.query(
      `SELECT peak_sessions, peak_sessions_at FROM snapshots_hourly WHERE room = '${room}' AND hour = '2026-11-24T23:00:00Z'`,
    );
    // Minutes 40 and 50 (23:10 and 23:20) both reach 30: the first time reached stays.
    expect(hour?.peak_sessions).toBe(30);
    expect(new Date(hour?.peak_sessions_at as string).toISOString()).toBe(
      '2026-11-24T23:10:01.000Z',
    );
  });

  it('counts a retried commit once: the same readings written again change no sum', async () => {
    const room = roomPrefix();
    const readings = readingsOf(room);
    for (let i = 0; i < readings.length; i += 10) {
      const batch = readings.slice(i, i + 10).map((r) => [r]);
      for (const b of batch) await writeReadings(database.db, b);
      // The store did not hear of the commit: the next run writes the same readings again.
      for (const b of batch) await writeReadings(database.db, b);
    }
    await expectExact(database, room);
  });

  it('counts a row replaced by the longer reading of the same period once, with the longer sums', async () => {
    const room = roomPrefix();
    const since = t('2026-11-24T10:00:00.000Z');
    await writeReadings(database.db, [
      reading({
        room,
        since: since - minute,
        at: since,
        sessions: 2,
        joins: 2,
        joinsByEntry: { a: 2 },
      }),
    ]);
    // Written, never committed to the store; the next reading covers the same period and more.
    await writeReadings(database.db, [
      reading({
        room,
        since,
        at: since + minute,
        sessions: 4,
        joins: 3,
        joinsByEntry: { a: 1, b: 2 },
      }),
    ]);
    await writeReadings(database.db, [
      reading({
        room,
        since,
        at: since + 2 * minute,
        sessions: 6,
        peakSessions: 7,
        peakSessionsAt: since + 90_000,
        joins: 5,
        joinsByEntry: { a: 1, b: 3, c: 1 },
      }),
    ]);
    await expectExact(database, room);
    const [hour] = await database.query(
      `SELECT snapshots, sessions_sum, sessions_last, joins FROM snapshots_hourly WHERE room = '${room}' AND hour = '2026-11-24T10:00:00Z'`,
    );
    expect(hour).toMatchObject({ snapshots: 1, sessions_last: 6 });
    expect(Number(hour?.sessions_sum)).toBe(6);
    expect(Number(hour?.joins)).toBe(5);
  });

  it('counts readings written by two instances at once once', async () => {
    const room = roomPrefix();
    const other = await secondInstance(database);
    try {
      const readings = readingsOf(room);
      for (let i = 0; i < readings.length; i += 25) {
        const chunk = readings.slice(i, i + 25);
        // One run writes these minutes as one room's readings one after the other; both try.
        const write = async (db: Database) => {
          for (const r of chunk) await writeReadings(db.db, [r]);
        };
        const outcomes = await Promise.allSettled([write(database), write(other)]);
        expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
      }
      await expectExact(database, room);
    } finally {
      await closeSecondInstance(other, database);
    }
  });
});
