// The per-address limit: 429 with Retry-After and the error shape. It is kept in each instance's
// memory (a heartbeat stays one Redis round trip), so several instances allow it each.
import { afterAll, describe, expect, it } from 'vitest';
import { openApp, type TestApp } from '../support/app.js';
import { requireRedis } from '../support/redis.js';
import { uniquePrefix } from '../support/stores.js';

const limited = { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_S: '60' };

describe('per-address rate limit, embedded', () => {
  it('answers 429 rate_limited with Retry-After past the limit, and not on health checks', async () => {
    const t = await openApp(limited);
    try {
      for (let i = 0; i < 5; i++)
        expect((await t.app.inject({ url: '/v1/rooms/a/count' })).statusCode).toBe(200);
      const res = await t.app.inject({ url: '/v1/rooms/a/count' });
      expect(res.statusCode).toBe(429);
      expect(res.json().error.code).toBe('rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      // Another address has its own allowance.
      const other = await t.app.inject({ url: '/v1/rooms/a/count', remoteAddress: '10.1.2.3' });
      expect(other.statusCode).toBe(200);
      expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
      expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('per-address rate limit and the count cache, embedded', () => {
  it('lets counts answered from the count cache through, and limits those that read the store', async () => {
    // A minute-long cache: after the first read of a room, its counts cost the store nothing.
    const t = await openApp({ ...limited, COUNT_CACHE_MS: '60000', COUNT_MAX_AGE_S: '60' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        statuses.push((await t.app.inject({ url: '/v1/rooms/cached/count' })).statusCode);
        statuses.push((await t.app.inject({ url: '/v1/rooms/cached/badge.svg' })).statusCode);
        statuses.push((await t.app.inject({ url: '/v1/counts?rooms=cached' })).statusCode);
      }
      expect(statuses.every((s) => s === 200)).toBe(true);
      // Each room not yet in the cache reads the store, and is counted: 1 above, 4 here, then 429.
      const misses: number[] = [];
      for (const room of ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']) {
        misses.push((await t.app.inject({ url: `/v1/rooms/${room}/count` })).statusCode);
      }
      expect(misses).toEqual([200, 200, 200, 200, 429, 429]);
      // A list that holds one room not in the cache reads the store: limited too.
      const list = await t.app.inject({ url: '/v1/counts?rooms=cached,m9' });
      expect(list.statusCode).toBe(429);
      expect(list.json().error.code).toBe('rate_limited');
      // Cached rooms still answer, and heartbeats (which always reach the store) stay limited.
      expect((await t.app.inject({ url: '/v1/rooms/cached/count' })).statusCode).toBe(200);
      const heartbeat = await t.app.inject({
        method: 'POST',
        url: '/v1/heartbeat',
        payload: { room: 'cached', session: 'sess-limited-1' },
      });
      expect(heartbeat.statusCode).toBe(429);
    } finally {
      await t.close();
    }
  });

  it('sends its headers on refusals only: none on an accepted heartbeat', async () => {
    const t = await openApp(limited);
    try {
      const ok = await t.app.inject({
        method: 'POST',
        url: '/v1/heartbeat',
        payload: { room: 'headers', session: 'sess-headers-1' },
      });
      expect(ok.statusCode).toBe(200);
      expect(Object.keys(ok.headers).filter((h) => h.startsWith('x-ratelimit'))).toEqual([]);
      for (let i = 0; i < 5; i++) await t.app.inject({ url: `/v1/rooms/h${i}/count` });
      const refused = await t.app.inject({ url: '/v1/rooms/h9/count' });
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  });
});

const redisUp = await requireRedis('rate limit on Redis');

describe.skipIf(!redisUp)('per-address rate limit, on Redis', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const t of apps) await t.close();
  });

  it('is counted by each instance on its own, even when they share Redis', async () => {
    const prefix = uniquePrefix('rl');
    apps.push(await openApp({ ...limited, REDIS_PREFIX: prefix }, { redis: true }));
    apps.push(await openApp({ ...limited, REDIS_PREFIX: prefix }, { redis: true }));
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const t = apps[i % 2]!;
      statuses.push((await t.app.inject({ url: '/v1/rooms/a/count' })).statusCode);
    }
    expect(statuses).toEqual([...Array(10).fill(200), 429, 429]);
  });
});
