// The rooms list on Redis reads O(offset + limit) rooms, not every room: watched with MONITOR on
// every master, on a single Redis and on the Cluster. And the size index is shared: a page on one
// instance lists the rooms another instance's heartbeats saw, within a second.
import { Cluster, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForReady } from '../../src/presence/redis-client.js';
import { RedisPresenceStore } from '../../src/presence/redis-store.js';
import { monitorOf } from '../support/redis.js';
import { fastRules, openStore, type TestStore } from '../support/stores.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Long enough that no room of this file expires while it runs.
const rules = { ...fastRules, visibleTtlMs: 120_000, hiddenTtlMs: 120_000 };
const roomCount = 2_000;
const roomId = (i: number) => `big-${String(i).padStart(4, '0')}`;

for (const kind of ['redis', 'cluster'] as const) {
  const opened = await openStore(kind, rules);

  describe.skipIf(!opened)(`rooms list on ${kind}`, () => {
    const { store, client, prefix } = opened as TestStore & { client: Redis | Cluster };
    afterAll(() => opened?.cleanup());

    beforeAll(async () => {
      // Room i has 1 + i % 4 sessions.
      for (let i = 0; i < roomCount; i += 500) {
        const beats: Promise<unknown>[] = [];
        for (let r = i; r < i + 500; r++) {
          for (let s = 0; s <= r % 4; s++) {
            beats.push(
              store.heartbeat({ room: roomId(r), session: `s-${r}-${s}`, state: 'visible' }),
            );
          }
        }
        await Promise.all(beats);
      }
    }, 60_000);

    /** Count script calls (EVALSHA with four keys) on rooms of this prefix while `run` runs. */
    async function countCalls(run: () => Promise<unknown>): Promise<number> {
      const nodes = client instanceof Cluster ? client.nodes('master') : [client];
      const monitors = await Promise.all(nodes.map(monitorOf));
      let calls = 0;
      for (const monitor of monitors) {
        monitor.on('monitor', (_time: string, args: string[]) => {
          const [command, , keys, firstKey] = args;
          if (
            command?.toLowerCase() === 'evalsha' &&
            keys === '4' &&
            firstKey?.startsWith(`${prefix}:{big-`)
          ) {
            if (firstKey.endsWith('}:v')) calls++;
          }
        });
      }
      try {
        await run();
        await sleep(200); // MONITOR lines arrive on their own connections
      } finally {
        for (const monitor of monitors) monitor.disconnect();
      }
      return calls;
    }

    it('counts a few dozen rooms for a page of 5 out of 2 000, not every room', async () => {
      let listed: string[] = [];
      const calls = await countCalls(async () => {
        const page = await store.listRooms({ limit: 5, offset: 0, prefix: '', sort: 'sessions' });
        listed = page.rooms.map((r) => r.room);
        expect(page.total).toBe(roomCount);
      });
      // The five largest: 4 sessions (i % 4 === 3), ties by id.
      expect(listed).toEqual([3, 7, 11, 15, 19].map(roomId));
      expect(calls).toBeGreaterThanOrEqual(5);
      expect(calls).toBeLessThan(100);
    });

    it('counts a bounded number of rooms for a prefix, a sort by viewers and a sort by id', async () => {
      for (const query of [
        { prefix: 'big-01', sort: 'sessions' },
        { prefix: 'big-', sort: 'sessions' },
        { prefix: '', sort: 'viewers' },
        { prefix: 'big-1', sort: 'room' },
      ] as const) {
        let listed: string[] = [];
        const calls = await countCalls(async () => {
          const page = await store.listRooms({ limit: 5, offset: 0, ...query });
          listed = page.rooms.map((r) => r.room);
        });
        const expected =
          query.sort === 'room'
            ? [1000, 1001, 1002, 1003, 1004]
            : query.prefix === 'big-01'
              ? [103, 107, 111, 115, 119]
              : [3, 7, 11, 15, 19];
        expect(listed, JSON.stringify(query)).toEqual(expected.map(roomId));
        expect(calls, JSON.stringify(query)).toBeLessThan(query.prefix === 'big-01' ? 101 : 250);
      }
    });

    it("lists the rooms of another instance's heartbeats within a second or so", async () => {
      const duplicate = client.duplicate();
      await waitForReady(duplicate, 10_000);
      const other = new RedisPresenceStore(duplicate, rules, prefix);
      try {
        const room = 'elsewhere-room';
        for (let s = 0; s < 9; s++) {
          await other.heartbeat({ room, session: `elsewhere-${s}`, state: 'visible' });
        }
        const started = Date.now();
        let top = '';
        while (top !== room && Date.now() - started < 5_000) {
          await sleep(100);
          const page = await store.listRooms({ limit: 1, offset: 0, prefix: '', sort: 'sessions' });
          top = page.rooms[0]?.room ?? '';
        }
        expect(top).toBe(room);
        expect(Date.now() - started).toBeLessThan(2_500);
      } finally {
        await other.close();
      }
    });
  });
}
