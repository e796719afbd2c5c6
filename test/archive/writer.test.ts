// The archive writer against real databases: rows, peaks, live periods, idempotency, gaps, atomicity.
import { asc, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodPeak, writeReadings } from '../../src/archive/writer.js';
import type { Database } from '../../src/db/client.js';
import { livePeriods, roomPeaks, snapshotEntries, snapshots } from '../../src/db/schema/index.js';
import { closeTestDatabase, databaseKinds, openTestDatabase, t } from '../support/databases.js';
import { livePeriod, reading, roomPrefix } from '../support/readings.js';

describe('periodPeak', () => {
  it('keeps the accumulator peak and its time when it is at least the end count', () => {
    expect(periodPeak(5, 1_500, 3, 1_000)).toEqual({ value: 5, at: 1_500 });
  });
  it('raises the peak to the end count, reached at the start, when no heartbeat raised it', () => {
    expect(periodPeak(0, 0, 3, 1_000)).toEqual({ value: 3, at: 1_000 });
    expect(periodPeak(2, 1_500, 3, 1_000)).toEqual({ value: 3, at: 1_000 });
  });
  it('has no time for a zero peak', () => {
    expect(periodPeak(0, 1_500, 0, 1_000)).toEqual({ value: 0, at: null });
  });
});

describe.each(databaseKinds)('archive writer on $kind', ({ kind }) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => closeTestDatabase(database));

  const rowsOf = (prefix: string) =>
    database.db
      .select()
      .from(snapshots)
      .where(like(snapshots.room, `${prefix}%`))
      .orderBy(asc(snapshots.room), asc(snapshots.periodEnd));
  const entriesOf = (prefix: string) =>
    database.db
      .select()
      .from(snapshotEntries)
      .where(like(snapshotEntries.room, `${prefix}%`))
      .orderBy(asc(snapshotEntries.periodEnd), asc(snapshotEntries.entry));
  const livePeriodsOf = (room: string) =>
    database.db
      .select()
      .from(livePeriods)
      .where(eq(livePeriods.room, room))
      .orderBy(asc(livePeriods.startedAt));
  const peakOf = async (room: string) =>
    (await database.db.select().from(roomPeaks).where(eq(roomPeaks.room, room)))[0];

  it('writes one snapshot row per reading with the counts at the end and the peaks of the period', async () => {
    const p = roomPrefix();
    const since = t('2026-11-24T10:00:00.000Z');
    const at = t('2026-11-24T10:01:00.004Z');
    await writeReadings(database.db, [
      reading({
        room: `${p}-a`,
        since,
        at,
        sessions: 3,
        viewers: 2,
        visible: 1,
        peakSessions: 7,
        peakSessionsAt: t('2026-11-24T10:00:20.000Z'),
        peakViewers: 5,
        peakViewersAt: t('2026-11-24T10:00:21.000Z'),
        joins: 9,
        joinsByEntry: { newsletter: 4, search: 5 },
      }),
      reading({ room: `${p}-b`, since, at, sessions: 1 }),
    ]);
    const rows = await rowsOf(p);
    expect(rows).toEqual([
      {
        room: `${p}-a`,
        periodStart: new Date(since),
        periodEnd: new Date(at),
        sessions: 3,
        viewers: 2,
        visible: 1,
        peakSessions: 7,
        peakSessionsAt: new Date('2026-11-24T10:00:20.000Z'),
        peakViewers: 5,
        peakViewersAt: new Date('2026-11-24T10:00:21.000Z'),
        joins: 9,
      },
      expect.objectContaining({ room: `${p}-b`, sessions: 1, peakSessions: 1, joins: 0 }),
    ]);
    expect((await entriesOf(p)).map((e) => [e.room, e.entry, e.joins])).toEqual([
      [`${p}-a`, 'newsletter', 4],
      [`${p}-a`, 'search', 5],
    ]);
  });

  it('writes the same readings twice as one row, one set of entries and unchanged peaks', async () => {
    const p = roomPrefix();
    const room = `${p}-a`;
    const since = t('2026-11-24T11:00:00Z');
    const r = reading({
      room,
      since,
      at: t('2026-11-24T11:01:00Z'),
      sessions: 2,
      joins: 3,
      joinsByEntry: { ad: 3 },
      live: livePeriod({ start: since, peakSessions: 4, joins: 3, uniqueViewers: 3 }),
    });
    const first = await writeReadings(database.db, [r]);
    const again = await writeReadings(database.db, [r]);
    expect(first).toMatchObject({ snapshots: 1, unchanged: 0 });
    expect(again).toMatchObject({ snapshots: 0, unchanged: 1 });
    expect(await rowsOf(p)).toHaveLength(1);
    expect(await entriesOf(p)).toEqual([expect.objectContaining({ entry: 'ad', joins: 3 })]);
    expect(await livePeriodsOf(room)).toEqual([
      expect.objectContaining({ peakSessions: 4, joins: 3 }),
    ]);
    expect(await peakOf(room)).toMatchObject({ peakSessions: 4 });
  });

  it('raises a period peak below the count at the end to that count, reached when the period began', async () => {
    const p = roomPrefix();
    const since = t('2026-11-24T12:00:00Z');
    await writeReadings(database.db, [
      reading({
        room: p,
        since,
        at: t('2026-11-24T12:01:00Z'),
        sessions: 4,
        viewers: 3,
        peakSessions: 0,
        peakViewers: 0,
      }),
    ]);
    expect(await rowsOf(p)).toEqual([
      expect.objectContaining({
        sessions: 4,
        peakSessions: 4,
        peakSessionsAt: new Date(since),
        peakViewers: 3,
        peakViewersAt: new Date(since),
      }),
    ]);
  });

  it('writes a period after a gap as one row covering the whole gap, with its true peak', async () => {
    const p = roomPrefix();
    const since = t('2026-11-24T13:00:00Z');
    await writeReadings(database.db, [
      reading({ room: p, since, at: t('2026-11-24T13:01:00Z'), sessions: 2 }),
    ]);
    // The database was down from 13:02 to 13:06: the next successful run reads everything since 13:01.
    await writeReadings(database.db, [
      reading({
        room: p,
        since: t('2026-11-24T13:01:00Z'),
        at: t('2026-11-24T13:06:00Z'),
        sessions: 3,
        peakSessions: 12,
        peakSessionsAt: t('2026-11-24T13:03:30Z'),
        joins: 15,
      }),
    ]);
    const rows = await rowsOf(p);
    expect(
      rows.map((r) => [
        r.periodStart.toISOString(),
        r.periodEnd.toISOString(),
        r.peakSessions,
        r.joins,
      ]),
    ).toEqual([
      ['2026-11-24T13:00:00.000Z', '2026-11-24T13:01:00.000Z', 2, 0],
      ['2026-11-24T13:01:00.000Z', '2026-11-24T13:06:00.000Z', 12, 15],
    ]);
    expect(rows[1]!.peakSessionsAt).toEqual(new Date('2026-11-24T13:03:30Z'));
  });

  it('replaces a row written but never committed to the store by the longer reading of the same period, counting joins once', async () => {
    const p = roomPrefix();
    const since = t('2026-11-24T14:00:00Z');
    await writeReadings(database.db, [
      reading({ room: p, since, at: t('2026-11-24T14:01:00Z'), joins: 2, joinsByEntry: { a: 2 } }),
    ]);
    // The store never heard of that commit, so the next reading starts at the same `since`.
    const result = await writeReadings(database.db, [
      reading({
        room: p,
        since,
        at: t('2026-11-24T14:02:00Z'),
        joins: 5,
        joinsByEntry: { a: 3, b: 2 },
      }),
    ]);
    expect(result).toMatchObject({ snapshots: 1, unchanged: 0 });
    const rows = await rowsOf(p);
    expect(rows.map((r) => [r.periodEnd.toISOString(), r.joins])).toEqual([
      ['2026-11-24T14:02:00.000Z', 5],
    ]);
    expect((await entriesOf(p)).map((e) => [e.periodEnd.toISOString(), e.entry, e.joins])).toEqual([
      ['2026-11-24T14:02:00.000Z', 'a', 3],
      ['2026-11-24T14:02:00.000Z', 'b', 2],
    ]);
  });

  it('keeps a zero-length period (read in the millisecond its room began) and the next period that starts at that instant', async () => {
    const p = roomPrefix();
    const start = t('2026-11-24T14:30:00Z');
    const zero = reading({ room: p, since: start, at: start, joins: 1, joinsByEntry: { a: 1 } });
    await writeReadings(database.db, [zero]);
    await writeReadings(database.db, [zero]);
    await writeReadings(database.db, [
      reading({
        room: p,
        since: start,
        at: t('2026-11-24T14:31:00Z'),
        joins: 2,
        joinsByEntry: { b: 2 },
      }),
    ]);
    const rows = await rowsOf(p);
    expect(
      rows.map((r) => [r.periodStart.toISOString(), r.periodEnd.toISOString(), r.joins]),
    ).toEqual([
      ['2026-11-24T14:30:00.000Z', '2026-11-24T14:30:00.000Z', 1],
      ['2026-11-24T14:30:00.000Z', '2026-11-24T14:31:00.000Z', 2],
    ]);
    expect((await entriesOf(p)).map((e) => [e.entry, e.joins])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('opens, updates and closes a live period, and a late retry of an older reading does not reopen it', async () => {
    const p = roomPrefix();
    const start = t('2026-11-24T15:00:10Z');
    const open1 = reading({
      room: p,
      since: start,
      at: t('2026-11-24T15:01:00Z'),
      live: livePeriod({
        start,
        peakSessions: 3,
        peakSessionsAt: t('2026-11-24T15:00:40Z'),
        joins: 4,
        uniqueViewers: 3,
      }),
    });
    await writeReadings(database.db, [open1]);
    expect(await livePeriodsOf(p)).toEqual([
      expect.objectContaining({
        startedAt: new Date(start),
        endedAt: null,
        peakSessions: 3,
        joins: 4,
      }),
    ]);

    const open2 = reading({
      room: p,
      since: t('2026-11-24T15:01:00Z'),
      at: t('2026-11-24T15:02:00Z'),
      live: livePeriod({
        start,
        peakSessions: 3,
        // The same peak reached again later keeps the first time.
        peakSessionsAt: t('2026-11-24T15:01:30Z'),
        peakViewers: 6,
        peakViewersAt: t('2026-11-24T15:01:31Z'),
        joins: 8,
        uniqueViewers: 7,
      }),
    });
    await writeReadings(database.db, [open2]);
    const closed = reading({
      room: p,
      since: t('2026-11-24T15:02:00Z'),
      at: t('2026-11-24T15:03:00Z'),
      sessions: 0,
      closed: [
        livePeriod({
          start,
          end: t('2026-11-24T15:02:30Z'),
          peakSessions: 3,
          peakSessionsAt: t('2026-11-24T15:00:40Z'),
          peakViewers: 6,
          peakViewersAt: t('2026-11-24T15:01:31Z'),
          joins: 8,
          uniqueViewers: 7,
        }),
      ],
    });
    await writeReadings(database.db, [closed]);
    await writeReadings(database.db, [open2]);
    expect(await livePeriodsOf(p)).toEqual([
      {
        room: p,
        startedAt: new Date(start),
        endedAt: new Date('2026-11-24T15:02:30Z'),
        peakSessions: 3,
        peakSessionsAt: new Date('2026-11-24T15:00:40Z'),
        peakViewers: 6,
        peakViewersAt: new Date('2026-11-24T15:01:31Z'),
        joins: 8,
        uniqueViewersEstimate: 7,
      },
    ]);
  });

  it('keeps all-time peaks: the highest, and on a tie the time first reached', async () => {
    const p = roomPrefix();
    const write = (minute: number, peak: number, peakAt: string) =>
      writeReadings(database.db, [
        reading({
          room: p,
          since: t(`2026-11-24T16:0${minute}:00Z`),
          at: t(`2026-11-24T16:0${minute + 1}:00Z`),
          sessions: 1,
          peakSessions: peak,
          peakSessionsAt: t(peakAt),
          peakViewers: peak,
          peakViewersAt: t(peakAt),
        }),
      ]);
    await write(0, 5, '2026-11-24T16:00:30Z');
    await write(1, 9, '2026-11-24T16:01:30Z');
    await write(2, 9, '2026-11-24T16:02:30Z');
    await write(3, 4, '2026-11-24T16:03:30Z');
    expect(await peakOf(p)).toMatchObject({
      peakSessions: 9,
      peakSessionsAt: new Date('2026-11-24T16:01:30Z'),
      peakViewers: 9,
      peakViewersAt: new Date('2026-11-24T16:01:30Z'),
    });
  });

  it('writes nothing at all when one reading of the batch cannot be written', async () => {
    const p = roomPrefix();
    const since = t('2026-11-24T17:00:00Z');
    const good = reading({
      room: `${p}-good`,
      since,
      at: t('2026-11-24T17:01:00Z'),
      joinsByEntry: { a: 1 },
    });
    const bad = reading({ room: `${p}-bad`, since, at: t('2026-11-24T17:01:00Z'), joins: -1 });
    await expect(writeReadings(database.db, [good, bad])).rejects.toThrow();
    expect(await rowsOf(p)).toEqual([]);
    expect(await entriesOf(p)).toEqual([]);
    expect(await peakOf(`${p}-good`)).toBeUndefined();
  });

  it('writes 10 000 rooms in one call', async () => {
    const p = roomPrefix();
    const since = t('2026-11-24T18:00:00Z');
    const at = t('2026-11-24T18:01:00Z');
    const readings = Array.from({ length: 10_000 }, (_, i) =>
      reading({
        room: `${p}-${i}`,
        since,
        at,
        sessions: 1 + (i % 7),
        joins: 1,
        joinsByEntry: { direct: 1 },
        live: livePeriod({ start: since, peakSessions: 1 + (i % 7) }),
      }),
    );
    const result = await writeReadings(database.db, readings);
    expect(result).toMatchObject({ snapshots: 10_000, entries: 10_000, livePeriods: 10_000 });
    expect(await rowsOf(p)).toHaveLength(10_000);
  });
});
