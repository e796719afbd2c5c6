// Counts from the per-instance cache: concurrent reads of one room share one store call, no
// answer is older than COUNT_CACHE_MS, and each keeps the store time of its reading.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { heartbeat, openApp } from '../support/app.js';
import { inCI } from '../support/redis.js';
import { hasRedisServer, RedisServer, sparePort } from '../support/redis-server.js';
import { uniquePrefix } from '../support/stores.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const maxAgeMs = 1_000;
const cached = { COUNT_CACHE_MS: String(maxAgeMs) };

describe('the count cache', () => {
  it('answers within its age with the reading it has, then reads again', async () => {
    const t = await openApp(cached);
    try {
      const count = async () => {
        const asked = Date.now();
        const body = (await t.app.inject({ url: '/v1/rooms/cache/count' })).json();
        // Never older than the cache's age when it was asked for.
        expect(asked - Date.parse(body.at)).toBeLessThanOrEqual(maxAgeMs);
        return { asked, body };
      };
      const before = await count();
      expect(before.body.sessions).toBe(0);
      const joined = await heartbeat(t.app, { room: 'cache', session: 'sess-00000001' });
      expect(joined.json().sessions).toBe(1);
      const soon = await count();
      // Inside the age of the first reading: that reading, with the time it was read.
      if (soon.asked - before.asked < maxAgeMs - 100) expect(soon.body).toEqual(before.body);
      await sleep(maxAgeMs + 100);
      const later = await count();
      expect(later.body.sessions).toBe(1);
      expect(Date.parse(later.body.at)).toBeGreaterThan(Date.parse(before.body.at));
      // The list of counts answers from the same cache.
      const counts = await t.app.inject({ url: '/v1/counts?rooms=cache' });
      expect(counts.json().rooms.cache).toEqual(later.body);
    } finally {
      await t.close();
    }
  });

  it('is off with COUNT_CACHE_MS=0: every count reads the store', async () => {
    const t = await openApp({ COUNT_CACHE_MS: '0' });
    try {
      await t.app.inject({ url: '/v1/rooms/fresh/count' });
      await heartbeat(t.app, { room: 'fresh', session: 'sess-00000001' });
      expect((await t.app.inject({ url: '/v1/rooms/fresh/count' })).json().sessions).toBe(1);
    } finally {
      await t.close();
    }
  });
});

// A Redis of its own: MONITOR on the shared one would also stream every other test's commands,
// which a monitor connection of ioredis can take for replies to its own (Command queue state error).
const canStart = await hasRedisServer();
if (!canStart && inCI) throw new Error('redis-server is needed for the count cache test in CI');

describe.skipIf(!canStart)('the count cache on Redis', () => {
  let server: RedisServer | null = null;
  afterAll(() => server?.stop());

  it('lets concurrent reads of one room share one store call', async () => {
    server = new RedisServer(await sparePort());
    await server.start();
    const prefix = uniquePrefix('cc');
    const t = await openApp({ ...cached, REDIS_PREFIX: prefix, REDIS_URL: server.url });
    const client = new Redis(server.url);
    const monitor = await client.monitor();
    const mine: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && args.some((a) => a.startsWith(`${prefix}:`))) mine.push(args);
    });
    try {
      await sleep(100);
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => t.app.inject({ url: '/v1/rooms/popular/count' })),
      );
      await sleep(100);
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
      // One script call (EVAL the first time this connection runs the script, EVALSHA after).
      expect(mine).toHaveLength(1);
      expect(['eval', 'evalsha']).toContain(mine[0]![0]!.toLowerCase());
    } finally {
      monitor.disconnect();
      client.disconnect();
      await t.close();
    }
  });
});
