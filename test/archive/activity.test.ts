// Activity in the archive, written by the real writer from readings: one row per room, kind and
// snapshot period beside the snapshot row, hourly and daily sums that always equal the minute
// rows (however the readings arrive: in order, retried, late, replacing a row never committed to
// the store, failing, from two instances at once), and retention that prunes them with the rows
// they sit beside while history keeps answering from the finest rows still kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keptAt, readActivityHistory, type Step } from '../../src/archive/history.js';
import { pruneArchive } from '../../src/archive/retention.js';
import { writeReadings } from '../../src/archive/writer.js';
import type { RetentionConfig } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import type { RoomReading } from '../../src/presence/store.js';
import {
  closeSecondInstance,
  closeTestDatabase,
  databaseKinds,
  iso,
  openTestDatabase,
  secondInstance,
  t,
} from '../support/databases.js';
import { reading, roomPrefix } from '../support/readings.js';

const minute = 60_000;
const day = 86_400_000;

/** Kinds with events in minute i of activityReadings (a kind with 0 is left out, as the store does). */
const activityAt = (i: number): Record<string, number> =>
  Object.fromEntries(
    Object.entries({
      comment: i % 5,
      reaction: (i * 3) % 7,
      'hand-raise': i % 13 === 0 ? 2 : 0,
    }).filter(([, n]) => n > 0),
  );

/**
 * A room over three hours across midnight UTC, one reading a minute, with comments, reactions and
 * now and then a raised hand; a period that starts at 23:59 ends after midnight.
 */
function activityReadings(room: string, start = t('2026-11-24T22:30:00.000Z')): RoomReading[] {
  return Array.from({ length: 150 }, (_, i) => {
    const since = start + i * minute;
    return reading({
      room,
      since,
      at: since + minute,
      sessions: 1 + ((i * 7) % 11),
      joins: i % 3,
      activity: activityAt(i),
    });
  });
}

describe.each(databaseKinds)('activity in the archive on $kind', ({ kind }) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => closeTestDatabase(database));

  const rowsOf = async (room: string) =>
    (
      await database.query(
        `SELECT period_start, period_end, kind, count FROM snapshot_activity WHERE room = '${room}' ORDER BY period_end, kind COLLATE "C"`,
      )
    ).map((r) => [iso(r.period_start), iso(r.period_end), r.kind, r.count]);

  /** A rollup as stored (kinds with events), and as sums over the minute rows say it should be. */
  async function rollupOf(room: string, unit: 'hour' | 'day') {
    const table = unit === 'hour' ? 'snapshot_activity_hourly' : 'snapshot_activity_daily';
    const bucket = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24')`;
    const stored = await database.query(
      `SELECT ${bucket(unit)} AS bucket, kind, count::int AS count FROM ${table}
       WHERE room = '${room}' AND count > 0 ORDER BY 1, kind COLLATE "C"`,
    );
    const summed = await database.query(
      `SELECT ${bucket(`date_trunc('${unit}', period_start, 'UTC')`)} AS bucket, kind, sum(count)::int AS count
       FROM snapshot_activity WHERE room = '${room}' GROUP BY 1, 2 ORDER BY 1, kind COLLATE "C"`,
    );
    return { stored, summed };
  }

  /** Rollups equal to the minute rows, and every minute row on the period of a snapshot row. */
  async function expectExact(room: string) {
    for (const unit of ['hour', 'day'] as const) {
      const { stored, summed } = await rollupOf(room, unit);
      expect(stored.length).toBeGreaterThan(0);
      expect(stored).toEqual(summed);
    }
    const [orphans] = await database.query(
      `SELECT count(*)::int AS n FROM snapshot_activity a LEFT JOIN snapshots s
       ON s.room = a.room AND s.period_end = a.period_end AND s.period_start = a.period_start
       WHERE a.room = '${room}' AND s.room IS NULL`,
    );
    expect(orphans?.n).toBe(0);
  }

  /** Events of one kind in the archive's minute rows of a room, and in its daily rollup. */
  async function totals(room: string, kindName: string) {
    const [row] = await database.query(
      `SELECT (SELECT coalesce(sum(count), 0)::int FROM snapshot_activity WHERE room = '${room}' AND kind = '${kindName}') AS minutes,
              (SELECT coalesce(sum(count), 0)::int FROM snapshot_activity_daily WHERE room = '${room}' AND kind = '${kindName}') AS days`,
    );
    return row;
  }

  const expectedTotal = (kindName: string, readings: readonly RoomReading[]) =>
    readings.reduce((sum, r) => sum + (r.period.activity[kindName] ?? 0), 0);

  it('writes the activity of each reading by kind, on the period of its snapshot row, and nothing for a room without any', async () => {
    const p = roomPrefix();
    const since = t('2026-11-24T10:00:00.000Z');
    const at = t('2026-11-24T10:01:00.004Z');
    const result = await writeReadings(database.db, [
      reading({ room: `${p}-a`, since, at, activity: { reaction: 12, comment: 3 } }),
      reading({ room: `${p}-b`, since, at }),
    ]);
    expect(result).toMatchObject({ snapshots: 2, activity: 2 });
    expect(await rowsOf(`${p}-a`)).toEqual([
      ['2026-11-24T10:00:00.000Z', '2026-11-24T10:01:00.004Z', 'comment', 3],
      ['2026-11-24T10:00:00.000Z', '2026-11-24T10:01:00.004Z', 'reaction', 12],
    ]);
    expect(await rowsOf(`${p}-b`)).toEqual([]);
    await expectExact(`${p}-a`);
  });

  it('adds activity to the hourly and daily rollups as the minutes arrive, equal to sums over the minute rows', async () => {
    const room = roomPrefix();
    const readings = activityReadings(room);
    for (const r of readings) await writeReadings(database.db, [r]);
    await expectExact(room);
    // The period 23:59-00:00 counts for the hour and the day in which it started.
    const [late] = await database.query(
      `SELECT count::int AS count FROM snapshot_activity_hourly
       WHERE room = '${room}' AND hour = '2026-11-24T23:00:00Z' AND kind = 'comment'`,
    );
    expect(late?.count).toBe(expectedTotal('comment', readings.slice(30, 90)));
    for (const name of ['comment', 'reaction', 'hand-raise']) {
      const total = expectedTotal(name, readings);
      expect(total).toBeGreaterThan(0);
      expect(await totals(room, name)).toEqual({ minutes: total, days: total });
    }
  });

  it('counts a retried commit once: the same readings written again add nothing', async () => {
    const room = roomPrefix();
    const readings = activityReadings(room);
    for (let i = 0; i < readings.length; i += 10) {
      const batch = readings.slice(i, i + 10);
      for (const r of batch) await writeReadings(database.db, [r]);
      // The store did not hear of the commit: the next run writes the same readings again.
      for (const r of batch) {
        expect(await writeReadings(database.db, [r])).toMatchObject({ snapshots: 0, activity: 0 });
      }
    }
    await expectExact(room);
    const total = expectedTotal('comment', readings);
    expect(await totals(room, 'comment')).toEqual({ minutes: total, days: total });
  });

  it('counts a row never committed to the store once, when the longer reading of the same period replaces it', async () => {
    const room = roomPrefix();
    const before = t('2026-11-24T10:58:00.000Z');
    const since = t('2026-11-24T10:59:00.000Z');
    await writeReadings(database.db, [
      reading({ room, since: before, at: since, activity: { comment: 1 } }),
    ]);
    // Written, never committed to the store, so the store merges it into the next reading, which
    // covers the same period and more (past the hour: it still counts for 10:00).
    await writeReadings(database.db, [
      reading({ room, since, at: since + minute, activity: { comment: 2 } }),
    ]);
    await writeReadings(database.db, [
      reading({ room, since, at: since + 2 * minute, activity: { comment: 5, reaction: 1 } }),
    ]);
    expect(await rowsOf(room)).toEqual([
      ['2026-11-24T10:58:00.000Z', '2026-11-24T10:59:00.000Z', 'comment', 1],
      ['2026-11-24T10:59:00.000Z', '2026-11-24T11:01:00.000Z', 'comment', 5],
      ['2026-11-24T10:59:00.000Z', '2026-11-24T11:01:00.000Z', 'reaction', 1],
    ]);
    await expectExact(room);
    expect((await rollupOf(room, 'hour')).stored).toEqual([
      { bucket: '2026-11-24T10', kind: 'comment', count: 6 },
      { bucket: '2026-11-24T10', kind: 'reaction', count: 1 },
    ]);
  });

  it('changes nothing on a late commit: an older reading written again after newer ones, or after the longer reading that replaced it', async () => {
    const room = roomPrefix();
    const start = t('2026-11-24T12:00:00.000Z');
    const first = reading({ room, since: start, at: start + minute, activity: { comment: 1 } });
    const second = reading({
      room,
      since: start + minute,
      at: start + 2 * minute,
      activity: { comment: 2 },
    });
    await writeReadings(database.db, [first]);
    await writeReadings(database.db, [second]);
    expect(await writeReadings(database.db, [first])).toMatchObject({
      snapshots: 0,
      unchanged: 1,
      activity: 0,
    });
    // A shorter reading never committed, replaced by the longer one, then retried late.
    const shorter = reading({
      room,
      since: start + 2 * minute,
      at: start + 3 * minute,
      activity: { comment: 4 },
    });
    const longer = reading({
      room,
      since: start + 2 * minute,
      at: start + 4 * minute,
      activity: { comment: 7 },
    });
    await writeReadings(database.db, [shorter]);
    await writeReadings(database.db, [longer]);
    expect(await writeReadings(database.db, [shorter])).toMatchObject({ activity: 0 });
    expect((await rowsOf(room)).map(([, end, , count]) => [end, count])).toEqual([
      ['2026-11-24T12:01:00.000Z', 1],
      ['2026-11-24T12:02:00.000Z', 2],
      ['2026-11-24T12:04:00.000Z', 7],
    ]);
    await expectExact(room);
    expect(await totals(room, 'comment')).toEqual({ minutes: 10, days: 10 });
  });

  it('writes no activity when the write fails, and the next reading covers both periods', async () => {
    const p = roomPrefix();
    const since = t('2026-11-24T13:00:00.000Z');
    const good = reading({
      room: `${p}-good`,
      since,
      at: since + minute,
      activity: { comment: 3 },
    });
    const bad = reading({ room: `${p}-bad`, since, at: since + minute, joins: -1 });
    await expect(writeReadings(database.db, [good, bad])).rejects.toThrow();
    expect(await rowsOf(`${p}-good`)).toEqual([]);
    expect(await totals(`${p}-good`, 'comment')).toEqual({ minutes: 0, days: 0 });
    // The store kept the period: the next reading covers the gap, its events and the new ones.
    await writeReadings(database.db, [
      reading({ room: `${p}-good`, since, at: since + 2 * minute, activity: { comment: 4 } }),
    ]);
    expect(await rowsOf(`${p}-good`)).toEqual([
      ['2026-11-24T13:00:00.000Z', '2026-11-24T13:02:00.000Z', 'comment', 4],
    ]);
    await expectExact(`${p}-good`);
  });

  it('counts readings written by two instances at once once', async () => {
    const room = roomPrefix();
    const other = await secondInstance(database);
    try {
      const readings = activityReadings(room).slice(0, 60);
      for (let i = 0; i < readings.length; i += 20) {
        const chunk = readings.slice(i, i + 20);
        const write = async (db: Database) => {
          for (const r of chunk) await writeReadings(db.db, [r]);
        };
        const outcomes = await Promise.allSettled([write(database), write(other)]);
        expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
      }
      await expectExact(room);
      const total = expectedTotal('reaction', readings);
      expect(await totals(room, 'reaction')).toEqual({ minutes: total, days: total });
    } finally {
      await closeSecondInstance(other, database);
    }
  });

  it('prunes activity with the rows it sits beside, and history answers from the finest rows still kept', async () => {
    const room = roomPrefix();
    const nowMs = Date.now();
    const start = Math.floor((nowMs - 60 * day) / day) * day;
    // Two days, a reading every 30 minutes.
    for (let i = 0; i < 96; i++) {
      const since = start + i * 30 * minute;
      await writeReadings(database.db, [
        reading({ room, since, at: since + 30 * minute, activity: activityAt(i) }),
      ]);
    }
    const range = { room, from: new Date(start), to: new Date(start + 2 * day) };
    const retention = (r: Partial<RetentionConfig>): RetentionConfig => ({
      minutesDays: 0,
      hoursDays: 0,
      daysDays: 0,
      livePeriodsDays: 0,
      webhookEventsDays: 14,
      cron: '*/10 * * * *',
      batchRows: 50,
      maxRunMs: 60_000,
      ...r,
    });
    const history = async (step: Step, r: RetentionConfig) =>
      (await readActivityHistory(database.db, { ...range, step }, keptAt(r, nowMs))).map((a) => [
        a.at.toISOString(),
        a.kind,
        a.count,
      ]);
    const count = async (table: string) =>
      Number(
        (await database.query(`SELECT count(*) AS n FROM ${table} WHERE room = '${room}'`))[0]?.n,
      );
    const all = retention({});
    const daily = await history('1d', all);
    const hourly = await history('1h', all);
    expect(daily.map(([, kindName]) => kindName)).toEqual([
      'comment',
      'hand-raise',
      'reaction',
      'comment',
      'hand-raise',
      'reaction',
    ]);
    expect(hourly.length).toBeGreaterThan(48);
    expect(await history('5m', all)).toEqual(await history('1m', all));

    const minuteRows = await count('snapshot_activity');
    expect(minuteRows).toBeGreaterThan(96);
    const minutesGone = retention({ minutesDays: 30 });
    const pruned = await pruneArchive(database.db, minutesGone, nowMs);
    expect(pruned.deleted.snapshot_activity).toBeGreaterThanOrEqual(minuteRows);
    expect(await count('snapshot_activity')).toBe(0);
    expect(await count('snapshots')).toBe(0);
    expect(await history('1d', minutesGone)).toEqual(daily);
    expect(await history('1h', minutesGone)).toEqual(hourly);
    // A step finer than what is kept answers from the hours, one point at the start of each.
    expect(await history('5m', minutesGone)).toEqual(hourly);

    const hoursGone = retention({ minutesDays: 30, hoursDays: 45 });
    await pruneArchive(database.db, hoursGone, nowMs);
    expect(await count('snapshot_activity_hourly')).toBe(0);
    expect(await count('snapshot_activity_daily')).toBe(6);
    expect(await history('1h', hoursGone)).toEqual(daily);
    expect(await history('1m', hoursGone)).toEqual(daily);

    await pruneArchive(
      database.db,
      retention({ minutesDays: 30, hoursDays: 45, daysDays: 50 }),
      nowMs,
    );
    expect(await count('snapshot_activity_daily')).toBe(0);
  });
});
