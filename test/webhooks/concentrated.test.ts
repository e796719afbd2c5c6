// room.concentrated end to end: heartbeats from client addresses into a real presence store, the
// snapshot job into a real database, and the outbox holding one event per live period.
import { randomBytes } from 'node:crypto';
import { asc, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRules } from '../../src/archive/events.js';
import { runSnapshot } from '../../src/archive/snapshot.js';
import type { Database } from '../../src/db/client.js';
import { webhookEvents } from '../../src/db/schema/index.js';
import type { PresenceStore } from '../../src/presence/store.js';
import { memoryLog } from '../support/archive-log.js';
import { closeTestDatabase, databaseKinds, openTestDatabase } from '../support/databases.js';
import { roomPrefix } from '../support/readings.js';
import { fastRules, openStore, type StoreKind, type TestStore } from '../support/stores.js';

const id = (label: string) => `${label}-${randomBytes(5).toString('hex')}`;
// Sessions outlive the test's steps unless they leave.
const rules = { ...fastRules, visibleTtlMs: 20_000 };
const events: EventRules = {
  thresholds: [],
  hysteresis: 0,
  concentration: { share: 0.5, minSessions: 5 },
};
const storeKinds: StoreKind[] = ['embedded', 'redis'];

describe.each(databaseKinds)('room.concentrated on $kind', ({ kind }) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => closeTestDatabase(database));

  describe.each(storeKinds)('with the %s store', (storeKind) => {
    let opened: TestStore | null;
    let store: PresenceStore;
    // The embedded store runs on a clock the test moves on; Redis keeps its own time.
    let skippedMs = 0;
    const sleep = async (ms: number) => {
      if (storeKind === 'embedded') skippedMs += ms;
      else await new Promise((r) => setTimeout(r, ms));
    };
    beforeAll(async () => {
      opened = await openStore(storeKind, rules, () => Date.now() + skippedMs);
      if (opened) store = opened.store;
    });
    afterAll(() => opened?.cleanup());

    /** Opens `count` sessions in the room from one client address (its hash, as routes pass it). */
    const open = async (room: string, address: string, count: number) => {
      const sessions: string[] = [];
      for (let i = 0; i < count; i++) {
        const session = id('s');
        const outcome = await store.heartbeat({ room, session, state: 'visible', address });
        if (!outcome.accepted) throw new Error('heartbeat refused');
        sessions.push(session);
      }
      return sessions;
    };
    const snapshot = async () => {
      const run = await runSnapshot({ store, db: database.db, log: memoryLog().log, events });
      expect(run.status).toBe('ok');
    };
    const outbox = async (prefix: string) =>
      (
        await database.db
          .select()
          .from(webhookEvents)
          .where(like(webhookEvents.room, `${prefix}%`))
          .orderBy(asc(webhookEvents.seq))
      ).filter((e) => e.type === 'room.concentrated');

    it('lands in the outbox once per live period, across snapshots, and again in the next period', async (ctx) => {
      if (!opened) return ctx.skip();
      const p = roomPrefix();
      const hall = `${p}-hall`;
      const small = `${p}-small`;
      const crowd = [...(await open(hall, 'crowd', 4)), ...(await open(hall, 'alone', 1))];
      // Every session from one address, but fewer than the rule's minimum: never concentrated.
      await open(small, 'crowd', 4);

      await snapshot();
      const [first, ...none] = await outbox(p);
      expect(none).toEqual([]);
      expect(first).toMatchObject({ room: hall, status: 'pending' });
      const data = (first!.payload as { data: Record<string, unknown> }).data;
      expect(data).toMatchObject({
        room: hall,
        sessions: 5,
        busiest_address_sessions: 4,
        share: 0.8,
      });
      expect(JSON.stringify(first!.payload)).not.toMatch(/crowd|alone/);

      // Still concentrated at the next snapshot, and more so: still the one event.
      crowd.push(...(await open(hall, 'crowd', 2)));
      await snapshot();
      expect((await outbox(p)).map((e) => e.id)).toEqual([first!.id]);

      // Everyone leaves; the room empties and a new live period begins, concentrated again.
      for (const session of crowd) await store.leave(hall, session);
      await sleep(rules.leaveGraceMs + 300);
      await snapshot();
      await open(hall, 'crowd', 5);
      await snapshot();
      const both = await outbox(p);
      expect(both).toHaveLength(2);
      const started = both.map(
        (e) =>
          (e.payload as { data: { live_period_started_at: string } }).data.live_period_started_at,
      );
      expect(started[0]).toBe(data.live_period_started_at);
      expect(Date.parse(started[1]!)).toBeGreaterThan(Date.parse(started[0]!));
    });
  });
});
