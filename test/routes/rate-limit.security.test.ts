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
