// Retention that runs itself: minute rows, hourly rows, closed live periods and finished webhook
// events go when the settings say, in batches; history answers from the finest rows still kept,
// with the same peaks as before the minute rows were gone.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJoinsByEntry } from '../../src/archive/entries.js';
import { keptAt, readHistory, type Step } from '../../src/archive/history.js';
import { pruneArchive, runRetention } from '../../src/archive/retention.js';
import { writeReadings } from '../../src/archive/writer.js';
import type { RetentionConfig } from '../../src/config.js';
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import { MemoryPresenceStore } from '../../src/presence/memory-store.js';
import { closeTestDatabase, databaseKinds, openTestDatabase } from '../support/databases.js';
import { livePeriod, reading, roomPrefix } from '../support/readings.js';
import { testConfig } from '../support/stores.js';

const minute = 60_000;
const day = 86_400_000;
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

const retention = (r: Partial<RetentionConfig>): RetentionConfig => ({
  minutesDays: 0,
  hoursDays: 0,
  daysDays: 0,
  livePeriodsDays: 0,
  webhookEventsDays: 14,
  cron: '*/10 * * * *',
  batchRows: 100,
  maxRunMs: 60_000,
  ...r,
});

describe('retention settings', () => {
  it('defaults: minutes 30 days, hours 2 years, days for ever, live periods 2 years', () => {
    expect(loadConfig({}).retention).toMatchObject({
      minutesDays: 30,
      hoursDays: 730,
      daysDays: 0,
      livePeriodsDays: 730,
      webhookEventsDays: 14,
    });
  });
  it('refuses hourly rows kept shorter than the minute rows they sum, naming the setting', () => {
    expect(() => loadConfig({ RETAIN_MINUTES_DAYS: '90', RETAIN_HOURS_DAYS: '60' })).toThrow(
      /RETAIN_HOURS_DAYS.*at least as long as RETAIN_MINUTES_DAYS/,
    );
    expect(() => loadConfig({ RETAIN_MINUTES_DAYS: '0', RETAIN_HOURS_DAYS: '60' })).toThrow(
      /RETAIN_HOURS_DAYS/,
    );
    expect(() => loadConfig({ RETAIN_DAYS_DAYS: '-1' })).toThrow(/RETAIN_DAYS_DAYS/);
  });
});

describe.each(databaseKinds)('retention on $kind', ({ kind }) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => closeTestDatabase(database));

  const count = async (table: string, room: string) =>
    Number(
      (await database.query(`SELECT count(*) AS n FROM ${table} WHERE room = '${room}'`))[0]?.n,
    );

  /** Three days of a room, a reading every 30 minutes through the writer, 60 days before nowMs. */
  async function archiveThreeDays(room: string, nowMs: number) {
    const start = Math.floor((nowMs - 60 * day) / day) * day;
    for (let i = 0; i < 3 * 48; i++) {
      const since = start + i * 30 * minute;
      const sessions = 1 + ((i * 13) % 17);
      await writeReadings(database.db, [
        reading({
          room,
          since,
          at: since + 30 * minute,
          sessions,
          peakSessions: sessions + (i % 5),
          peakSessionsAt: since + 7_000,
          joins: i % 3,
          joinsByEntry: i % 3 === 0 ? {} : { search: i % 3 },
        }),
      ]);
    }
    return { from: new Date(start), to: new Date(start + 3 * day) };
  }

  it('keeps hourly and daily history with exact peaks after the minute rows are gone, then daily after the hours', async () => {
    const room = roomPrefix();
    const nowMs = Date.now();
    const range = await archiveThreeDays(room, nowMs);
    const history = (step: Step, r: RetentionConfig) =>
      readHistory(database.db, { room, ...range, step }, keptAt(r, nowMs));
    const all = retention({});
    const entries = (r: RetentionConfig) =>
      readJoinsByEntry(database.db, { room, ...range, limit: 10 }, keptAt(r, nowMs));
    const joinsByEntry = await entries(all);
    expect(joinsByEntry).toEqual([{ entry: 'search', joins: 3 * 48 }]);
    const daily = await history('1d', all);
    const hourly = await history('1h', all);
    expect(daily).toHaveLength(3);
    expect(hourly).toHaveLength(72);
    // The rollup tables answer as the minute rows do.
    expect(hourly.map((p) => p.peakSessions)).toEqual(
      (await history('1m', all))
        .reduce<number[][]>((hours, p) => {
          const h = Math.floor((p.at.getTime() - range.from.getTime()) / 3_600_000);
          hours[h] = [...(hours[h] ?? []), p.peakSessions];
          return hours;
        }, [])
        .map((peaks) => Math.max(...peaks)),
    );

    const minutesGone = retention({ minutesDays: 30 });
    const pruned = await pruneArchive(database.db, minutesGone, nowMs);
    expect(pruned.unfinished).toBe(false);
    expect(await count('snapshots', room)).toBe(0);
    expect(await count('snapshot_entries', room)).toBe(0);
    expect(pruned.deleted.snapshots).toBeGreaterThanOrEqual(3 * 48);
    expect(await history('1d', minutesGone)).toEqual(daily);
    expect(await history('1h', minutesGone)).toEqual(hourly);
    // A step finer than what is kept answers from the finest rows left: the hours.
    expect(await history('5m', minutesGone)).toEqual(hourly);
    expect(await entries(minutesGone)).toEqual(joinsByEntry);

    const hoursGone = retention({ minutesDays: 30, hoursDays: 45 });
    await pruneArchive(database.db, hoursGone, nowMs);
    expect(await count('snapshots_hourly', room)).toBe(0);
    expect(await count('snapshot_entries_hourly', room)).toBe(0);
    expect(await count('snapshots_daily', room)).toBe(3);
    expect(await count('snapshot_entries_daily', room)).toBe(3);
    expect(await history('1d', hoursGone)).toEqual(daily);
    expect(await history('1h', hoursGone)).toEqual(daily);
    expect(await entries(hoursGone)).toEqual(joinsByEntry);
    expect(daily.every((p) => p.peakSessions > 0 && p.peakSessionsAt !== null)).toBe(true);
  });

  it('prunes closed live periods and delivered webhook events, never open periods, pending events or dead letters', async () => {
    const room = roomPrefix();
    const nowMs = Date.now();
    const old = nowMs - 800 * day;
    await writeReadings(database.db, [
      reading({
        room,
        since: old,
        at: old + minute,
        closed: [livePeriod({ start: old - 10 * minute, end: old })],
        live: livePeriod({ start: old + 30_000 }),
      }),
    ]);
    const event = (id: string, status: string, ageDays: number) =>
      `('${id}', '${room}', 'room.live', '{}', now(), now() - interval '${ageDays} days', '${status}', ${status === 'delivered' ? `now() - interval '${ageDays} days'` : 'null'})`;
    const ids = ['delivered-old', 'dead-old', 'pending-old', 'delivered-new'].map(
      (label) => `${label}-${randomBytes(3).toString('hex')}`,
    );
    await database.query(`INSERT INTO webhook_events (id, room, type, payload, occurred_at, created_at, status, delivered_at) VALUES
      ${event(ids[0]!, 'delivered', 20)}, ${event(ids[1]!, 'dead', 20)}, ${event(ids[2]!, 'pending', 20)}, ${event(ids[3]!, 'delivered', 1)}`);
    await pruneArchive(database.db, retention({ livePeriodsDays: 730 }), nowMs);
    const periods = await database.query(
      `SELECT ended_at FROM live_periods WHERE room = '${room}'`,
    );
    expect(periods).toEqual([{ ended_at: null }]);
    const events = await database.query(
      `SELECT id FROM webhook_events WHERE room = '${room}' ORDER BY id`,
    );
    expect(events.map((e) => e.id)).toEqual([ids[1], ids[2], ids[3]].sort());
  });

  it('deletes in batches of the configured size and stops a run at its time bound', async () => {
    const room = roomPrefix();
    const nowMs = Date.now();
    await archiveThreeDays(room, nowMs);
    // A bound already passed: the run stops before its first batch and says so.
    const stopped = await pruneArchive(
      database.db,
      retention({ minutesDays: 30, maxRunMs: -1 }),
      nowMs,
    );
    expect(stopped).toMatchObject({ unfinished: true });
    expect(await count('snapshots', room)).toBe(3 * 48);
    const done = await pruneArchive(
      database.db,
      retention({ minutesDays: 30, batchRows: 100 }),
      nowMs,
    );
    expect(done.unfinished).toBe(false);
    expect(await count('snapshots', room)).toBe(0);
  });

  it('prunes on one instance at a time: a second run while one holds the lock is skipped', async () => {
    const store = new MemoryPresenceStore(testConfig().rules, () => Date.now());
    try {
      const r = retention({ minutesDays: 30 });
      const [a, b] = await Promise.all([
        runRetention({ store, db: database.db, log: quiet, retention: r }),
        runRetention({ store, db: database.db, log: quiet, retention: r }),
      ]);
      expect([a.status, b.status].sort()).toEqual(['ok', 'skipped']);
      // Released after the run: the next one prunes.
      expect(
        (await runRetention({ store, db: database.db, log: quiet, retention: r })).status,
      ).toBe('ok');
    } finally {
      await store.close();
    }
  });
});
