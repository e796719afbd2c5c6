// Rule 8, who is counted: at the default settings a crowd behind one address (a campus, a
// carrier's NAT) is counted in full, a flood far beyond what people send is slowed with 429 and a
// short Retry-After, and the address check costs the heartbeat no Redis round trip.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { heartbeat, openApp } from '../support/app.js';
import { inCI } from '../support/redis.js';
import { hasRedisServer, RedisServer, sparePort } from '../support/redis-server.js';

/** The shipped per-address limit: no RATE_LIMIT_* in the environment. */
const defaults = { RATE_LIMIT_MAX: undefined, RATE_LIMIT_WINDOW_S: undefined };
const page = (i: number) => `page-${String(i).padStart(8, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends one request per page, spread evenly over spreadMs; resolves with the statuses. */
async function paced(
  pages: number,
  spreadMs: number,
  send: (i: number) => Promise<{ statusCode: number }>,
): Promise<number[]> {
  const started = Date.now();
  const statuses: Promise<number>[] = [];
  for (let i = 0; i < pages; i++) {
    const due = started + (i * spreadMs) / pages;
    if (due > Date.now()) await sleep(due - Date.now());
    statuses.push(send(i).then((r) => r.statusCode));
  }
  return Promise.all(statuses);
}

describe('per-address admission at the default settings', () => {
  it('counts 10 000 pages behind one address in full, with no heartbeat refused', async () => {
    const t = await openApp(defaults);
    try {
      const pages = 10_000;
      // Every page joins within 5 s (far faster than "within a minute"), then every page sends
      // its next heartbeat 5.2 s after its first (the soonest its own session may): all of it
      // from one address and inside one or two 10 s windows of the limit.
      const beat = (i: number) => heartbeat(t.app, { room: 'campus', session: page(i) });
      const joins = paced(pages, 5_000, beat);
      await sleep(5_200);
      const next = await paced(pages, 5_000, beat);
      const statuses = [...(await joins), ...next];
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      const count = await t.app.inject({ url: '/v1/rooms/campus/count' });
      expect(count.json()).toMatchObject({ sessions: pages, viewers: pages });
    } finally {
      await t.close();
    }
  }, 60_000);

  it('slows an address sending ten times that with 429 rate_limited and a short Retry-After, counting none of the refused', async () => {
    const t = await openApp(defaults);
    try {
      const sent = 36_000; // more than one window's allowance (30 000), sent as fast as possible
      const replies = [];
      for (let i = 0; i < sent; i += 1_000) {
        const batch = Array.from({ length: 1_000 }, (_, j) =>
          heartbeat(t.app, { room: 'flood', session: page(i + j) }),
        );
        replies.push(...(await Promise.all(batch)));
      }
      const refused = replies.filter((r) => r.statusCode === 429);
      const accepted = replies.filter((r) => r.statusCode === 200);
      expect(refused.length).toBeGreaterThan(0);
      expect(accepted.length + refused.length).toBe(sent);
      for (const r of refused.slice(0, 5)) {
        expect(r.json().error.code).toBe('rate_limited');
        const retryAfterS = Number(r.headers['retry-after']);
        // Short enough that a real page refused by mistake is back before its 45 s deadline.
        expect(retryAfterS).toBeGreaterThanOrEqual(1);
        expect(retryAfterS).toBeLessThanOrEqual(10);
      }
      const count = await t.app.inject({
        url: '/v1/rooms/flood/count',
        remoteAddress: '10.9.8.7',
      });
      expect(count.statusCode).toBe(200);
      expect(count.json().sessions).toBe(accepted.length);
    } finally {
      await t.close();
    }
  }, 60_000);
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
