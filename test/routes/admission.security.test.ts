// Rule 8, who is counted: at the default settings a crowd behind one address (a campus, a
// carrier's NAT) is counted in full, a flood far beyond what people send is slowed with 429 and a
// short Retry-After, and the address check costs the heartbeat no Redis round trip.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { heartbeat, openApp } from '../support/app.js';
import { longRuns } from '../support/long-runs.js';
import { inCI } from '../support/redis.js';
import { hasRedisServer, RedisServer, sparePort } from '../support/redis-server.js';

/**
 * The shipped per-address limit (no RATE_LIMIT_* in the environment: 30 000 per 10 s) with the
 * crowd of rule 8, in CI and with HEADCOUNT_LONG=1; otherwise a tenth of both, the same ratio.
 */
const scale = longRuns ? 1 : 0.1;
const limit = 30_000 * scale;
const defaults = {
  RATE_LIMIT_MAX: longRuns ? undefined : String(limit),
  RATE_LIMIT_WINDOW_S: undefined,
};
const page = (i: number) => `page-${String(i).padStart(8, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Time is simulated: the per-address limit and the embedded store both read Date, which these
// tests move request by request, so the outcome never depends on how fast this machine is.
describe('per-address admission at the default settings', () => {
  const start = Date.UTC(2026, 0, 1);
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(start);
  });
  afterEach(() => vi.useRealTimers());

  const pages = 10_000 * scale;
  it(`counts ${pages} pages behind one address in full, with no heartbeat refused`, async () => {
    const t = await openApp(defaults);
    try {
      // Every page joins within the first minute, then beats every 15 s (±10 % jitter) for a
      // minute and a half: all of it from one address.
      const beats: { atMs: number; page: number }[] = [];
      for (let i = 0; i < pages; i++) {
        let atMs = (i * 60_000) / pages;
        while (atMs < 90_000) {
          beats.push({ atMs, page: i });
          atMs += 15_000 * (1 + (((i * 7919 + atMs) % 21) - 10) / 100);
        }
      }
      beats.sort((a, b) => a.atMs - b.atMs);
      const refused: string[] = [];
      for (const { atMs, page: i } of beats) {
        vi.setSystemTime(start + atMs);
        const r = await heartbeat(t.app, { room: 'campus', session: page(i) });
        if (r.statusCode !== 200) refused.push(`${atMs} ms: ${r.statusCode} ${r.body}`);
      }
      expect(refused).toEqual([]);
      const count = await t.app.inject({ url: '/v1/rooms/campus/count' });
      expect(count.json()).toMatchObject({ sessions: pages, viewers: pages });
    } finally {
      await t.close();
    }
  }, 120_000);

  it('slows an address sending ten times that with 429 rate_limited and a short Retry-After, counting none of the refused', async () => {
    const t = await openApp(defaults);
    try {
      // Ten times the crowd's rate (840 a second) for 5 s, from one address.
      const perSecond = 8_400 * scale;
      const sent = 5 * perSecond;
      const statuses: number[] = [];
      const retryAfterS = new Set<number>();
      for (let i = 0; i < sent; i++) {
        vi.setSystemTime(start + (i * 1000) / perSecond);
        const r = await heartbeat(t.app, { room: 'flood', session: page(i) });
        statuses.push(r.statusCode);
        if (r.statusCode === 429) {
          expect(r.json().error.code).toBe('rate_limited');
          retryAfterS.add(Number(r.headers['retry-after']));
        }
      }
      const accepted = statuses.filter((s) => s === 200).length;
      expect(accepted).toBe(limit);
      expect(statuses.filter((s) => s === 429).length).toBe(sent - accepted);
      // Short enough that a real page refused by mistake is back long before its 45 s deadline.
      expect(Math.min(...retryAfterS)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...retryAfterS)).toBeLessThanOrEqual(10);
      const count = await t.app.inject({ url: '/v1/rooms/flood/count', remoteAddress: '10.9.8.7' });
      expect(count.json().sessions).toBe(accepted);
      // When the window is over, the address is heard again.
      vi.setSystemTime(start + 10_000);
      expect((await heartbeat(t.app, { room: 'flood', session: page(sent) })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  }, 120_000);
});

const canStart = await hasRedisServer();
if (!canStart && inCI) throw new Error('redis-server is needed for the round-trip test in CI');

describe.skipIf(!canStart)('the heartbeat path on Redis', () => {
  let server: RedisServer | null = null;
  afterAll(() => server?.stop());

  it('is one Redis command per heartbeat with the per-address limit on', async () => {
    server = new RedisServer(await sparePort());
    await server.start();
    const t = await openApp({ RATE_LIMIT_MAX: '1000', REDIS_URL: server.url });
    const monitor = await new Redis(server.url).monitor();
    // Commands a client sent; those a script ran show as coming from 'lua'.
    const sent: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') sent.push(args);
    });
    try {
      // The room's first heartbeat also enters it in the room index; count the ones after it.
      await heartbeat(t.app, { room: 'one-trip', session: page(0) });
      await sleep(200);
      sent.length = 0;
      for (let i = 1; i <= 10; i++) {
        const r = await heartbeat(t.app, { room: 'one-trip', session: page(i) });
        expect(r.statusCode).toBe(200);
      }
      await sleep(200);
      expect(sent.map((args) => args[0]!.toLowerCase())).toEqual(Array(10).fill('evalsha'));
    } finally {
      monitor.disconnect();
      await t.close();
    }
  });
});
