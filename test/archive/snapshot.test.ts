// The snapshot job end to end: real presence stores (embedded and Redis), real databases (PGlite
// and PostgreSQL), real heartbeats and expiry.
import { randomBytes } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSnapshot, SNAPSHOT_LOCK } from '../../src/archive/snapshot.js';
import type { Database } from '../../src/db/client.js';
import {
  livePeriods,
  roomPeaks,
  snapshotActivity,
  snapshotEntries,
  snapshots,
} from '../../src/db/schema/index.js';
import type { Heartbeat, PresenceStore } from '../../src/presence/store.js';
import { memoryLog, unreachableDatabase } from '../support/archive-log.js';
import { closeTestDatabase, databaseKinds, openTestDatabase } from '../support/databases.js';
import { fastRules, openStore, type StoreKind, type TestStore } from '../support/stores.js';

const realSleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const id = (label: string) => `${label}-${randomBytes(5).toString('hex')}`;

/** Sessions live 3 s: a database write that a busy machine makes slow does not outlast them. */
const rules = { ...fastRules, visibleTtlMs: 3_000, hiddenTtlMs: 6_000 };

/**
 * The embedded store runs on this process's clock plus the time the test skipped, so waiting on
 * it costs nothing; Redis keeps its own time.
 */
function timingFor(kind: StoreKind) {
  if (kind !== 'embedded') return { storeNow: Date.now, sleep: realSleep };
  let skippedMs = 0;
  return {
    storeNow: () => Date.now() + skippedMs,
    sleep: async (ms: number) => {
      skippedMs += ms;
    },
  };
}

const storeKinds: StoreKind[] = ['embedded', 'redis'];

describe.each(databaseKinds)('snapshot job on $kind', ({ kind }) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => closeTestDatabase(database));

  describe.each(storeKinds)('with the %s store', (storeKind) => {
    const { storeNow, sleep } = timingFor(storeKind);
    let opened: TestStore | null;
    let store: PresenceStore;
    beforeAll(async () => {
      opened = await openStore(storeKind, rules, storeNow);
      if (opened) store = opened.store;
    });
    afterAll(() => opened?.cleanup());

    const beat = async (hb: Partial<Heartbeat> & { room: string; session: string }) => {
      const outcome = await store.heartbeat({ state: 'visible', ...hb });
      if (!outcome.accepted) throw new Error('heartbeat refused');
      return outcome;
    };
    const run = (db = database) => runSnapshot({ store, db: db.db, log: memoryLog().log });
    const rowsOf = (room: string) =>
      database.db
        .select()
        .from(snapshots)
        .where(eq(snapshots.room, room))
        .orderBy(asc(snapshots.periodEnd));
    const entriesOf = (room: string) =>
      database.db
        .select()
        .from(snapshotEntries)
        .where(eq(snapshotEntries.room, room))
        .orderBy(asc(snapshotEntries.periodEnd), asc(snapshotEntries.entry));
    const periodsOf = (room: string) =>
      database.db.select().from(livePeriods).where(eq(livePeriods.room, room));
    const peakOf = async (room: string) =>
      (await database.db.select().from(roomPeaks).where(eq(roomPeaks.room, room)))[0];

    it('archives rooms period after period: counts, peaks, joins by entry, live periods and all-time peaks', async (ctx) => {
      if (!opened) return ctx.skip();
      const a = id('a');
      const b = id('b');
      await beat({ room: a, session: id('s'), entry: 'newsletter' });
      await beat({ room: a, session: id('s'), entry: 'newsletter' });
      await beat({ room: a, session: id('s'), viewer: 'alice', entry: 'search' });
      await beat({ room: b, session: id('s') });

      const first = await run();
      expect(first).toMatchObject({ status: 'ok' });
      expect(first.rooms).toBeGreaterThanOrEqual(2);
      const [row1] = await rowsOf(a);
      expect(row1).toMatchObject({
        sessions: 3,
        viewers: 3,
        visible: 3,
        peakSessions: 3,
        joins: 3,
      });
      expect((await entriesOf(a)).map((e) => [e.entry, e.joins])).toEqual([
        ['newsletter', 2],
        ['search', 1],
      ]);
      expect(await periodsOf(a)).toEqual([
        expect.objectContaining({
          endedAt: null,
          peakSessions: 3,
          joins: 3,
          uniqueViewersEstimate: 3,
        }),
      ]);
      expect(await peakOf(a)).toMatchObject({ peakSessions: 3 });
      expect(await rowsOf(b)).toEqual([expect.objectContaining({ sessions: 1, joins: 1 })]);

      await beat({ room: a, session: id('s'), entry: 'search' });
      expect(await run()).toMatchObject({ status: 'ok' });
      const rows = await rowsOf(a);
      expect(rows).toHaveLength(2);
      // Periods follow each other without a gap or an overlap, and joins are not counted twice.
      expect(rows[1]!.periodStart).toEqual(rows[0]!.periodEnd);
      expect(rows[1]).toMatchObject({ sessions: 4, peakSessions: 4, joins: 1 });
      expect(
        (await entriesOf(a)).filter((e) => e.periodEnd.getTime() === rows[1]!.periodEnd.getTime()),
      ).toEqual([expect.objectContaining({ entry: 'search', joins: 1 })]);
      expect(await peakOf(a)).toMatchObject({ peakSessions: 4 });

      // Everyone leaves without a word: the sessions expire and the room empties.
      await sleep(rules.visibleTtlMs + 400);
      expect(await run()).toMatchObject({ status: 'ok' });
      const afterEmpty = await rowsOf(a);
      expect(afterEmpty).toHaveLength(3);
      expect(afterEmpty[2]).toMatchObject({ sessions: 0, viewers: 0, joins: 0 });
      const [period] = await periodsOf(a);
      expect(period?.endedAt).not.toBeNull();
      expect(period).toMatchObject({ peakSessions: 4, joins: 4, uniqueViewersEstimate: 4 });
      expect(period!.endedAt!.getTime()).toBeLessThanOrEqual(afterEmpty[2]!.periodEnd.getTime());

      // An empty, fully archived room is forgotten: no more rows.
      expect(await run()).toMatchObject({ status: 'ok' });
      expect(await rowsOf(a)).toHaveLength(3);
    });

    it('skips the period when another instance holds the lock, and writes nothing', async (ctx) => {
      if (!opened) return ctx.skip();
      const room = id('locked');
      await beat({ room, session: id('s') });
      const token = await store.tryLock(SNAPSHOT_LOCK, 10_000);
      expect(token).not.toBeNull();
      try {
        expect(await run()).toMatchObject({ status: 'skipped', rooms: 0 });
        expect(await rowsOf(room)).toEqual([]);
      } finally {
        await store.unlock(SNAPSHOT_LOCK, token!);
      }
      expect(await run()).toMatchObject({ status: 'ok' });
      expect(await rowsOf(room)).toHaveLength(1);
    });

    it('keeps everything in the store while the database is down; the next run writes one row for the whole gap with its true peak', async (ctx) => {
      if (!opened) return ctx.skip();
      const room = id('gap');
      const regular = id('s');
      const down = await unreachableDatabase(kind);
      try {
        await beat({ room, session: regular, entry: 'direct' });
        expect(await run()).toMatchObject({ status: 'ok' });

        const failedLog = memoryLog();
        // A crowd comes and goes while the database is down.
        for (let i = 0; i < 5; i++) await beat({ room, session: id('crowd'), entry: 'social' });
        const failed = await runSnapshot({ store, db: down.db, log: failedLog.log });
        expect(failed).toMatchObject({ status: 'failed', written: 0 });
        expect(failedLog.lines).toContainEqual(expect.objectContaining({ level: 'error' }));
        await sleep(rules.visibleTtlMs + 300);
        await beat({ room, session: regular });
        expect(await runSnapshot({ store, db: down.db, log: memoryLog().log })).toMatchObject({
          status: 'failed',
        });
        // Counts keep working meanwhile.
        expect(await store.count(room)).toMatchObject({ sessions: 1 });
      } finally {
        await down.close();
      }

      expect(await run()).toMatchObject({ status: 'ok' });
      const rows = await rowsOf(room);
      const before = rows[0];
      expect(rows).toHaveLength(2);
      expect(rows[1]!.periodStart).toEqual(before!.periodEnd);
      expect(rows[1]).toMatchObject({ sessions: 1, peakSessions: 6, joins: 6 });
      expect(
        (await entriesOf(room)).filter(
          (e) => e.periodEnd.getTime() === rows[1]!.periodEnd.getTime(),
        ),
      ).toEqual([expect.objectContaining({ entry: 'social', joins: 5 })]);
    });

    it('archives the activity the store counted beside each row, and what it counted while the database was down in the next row', async (ctx) => {
      if (!opened) return ctx.skip();
      const room = id('talk');
      const record = async (events: { kind: string; n: number }[]) =>
        expect(await store.recordActivity(events.map((e) => ({ room, ...e })))).toMatchObject({
          accepted: true,
        });
      await beat({ room, session: id('s') });
      await record([
        { kind: 'comment', n: 2 },
        { kind: 'reaction', n: 5 },
      ]);
      expect(await run()).toMatchObject({ status: 'ok' });
      const down = await unreachableDatabase(kind);
      try {
        await beat({ room, session: id('s') });
        await record([{ kind: 'comment', n: 3 }]);
        expect(await runSnapshot({ store, db: down.db, log: memoryLog().log })).toMatchObject({
          status: 'failed',
        });
        await record([{ kind: 'comment', n: 1 }]);
      } finally {
        await down.close();
      }
      await beat({ room, session: id('s') });
      expect(await run()).toMatchObject({ status: 'ok' });
      // Committed: the next run has nothing more to say of either period.
      expect(await run()).toMatchObject({ status: 'ok' });
      const rows = await rowsOf(room);
      const activity = await database.db
        .select()
        .from(snapshotActivity)
        .where(eq(snapshotActivity.room, room))
        .orderBy(asc(snapshotActivity.periodEnd), asc(snapshotActivity.kind));
      expect(
        // Each activity row on the period of its snapshot row: [which row, kind, count].
        activity.map((a) => [
          rows.findIndex(
            (r) =>
              r.periodEnd.getTime() === a.periodEnd.getTime() &&
              r.periodStart.getTime() === a.periodStart.getTime(),
          ),
          a.kind,
          a.count,
        ]),
      ).toEqual([
        [0, 'comment', 2],
        [0, 'reaction', 5],
        [1, 'comment', 4],
      ]);
    });
  });
});
