// GET /v1/rooms says, for each room, how many sessions its busiest client address holds, their
// share of the room, and whether that makes the room concentrated (CONCENTRATION_SHARE and
// CONCENTRATION_MIN_SESSIONS, here 0.5 and 4): on the embedded store and on Redis alike.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, browserAgent, openApp, type TestApp } from '../support/app.js';
import { requireRedis } from '../support/redis.js';

interface Listed {
  rooms: {
    room: string;
    sessions: number;
    busiest_address: { sessions: number; share: number; concentrated: boolean };
  }[];
  total: number;
  at: string;
}

const rule = { CONCENTRATION_SHARE: '0.5', CONCENTRATION_MIN_SESSIONS: '4' };

/** A heartbeat from a page behind the given client address. */
async function heartbeatFrom(app: FastifyInstance, address: string, room: string, session: string) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/heartbeat',
    remoteAddress: address,
    headers: { 'content-type': 'application/json', 'user-agent': browserAgent },
    payload: { room, session, state: 'visible' },
  });
  expect(res.statusCode).toBe(200);
}

/** Sessions of a room, each from the address given for it. */
async function fill(app: FastifyInstance, room: string, addresses: string[]) {
  for (const [i, address] of addresses.entries()) {
    await heartbeatFrom(app, address, room, `${room.replace(/\W/g, '-')}-tab-${i}`);
  }
}

async function list(app: FastifyInstance, query = ''): Promise<Listed> {
  const res = await app.inject({
    url: `/v1/rooms?${query}`,
    headers: { authorization: `Bearer ${adminToken}` },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as Listed;
}

const office = '203.0.113.7';
const homes = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => `198.51.100.${from + i}`);

describe.each([
  { kind: 'embedded', redis: false },
  { kind: 'redis', redis: true },
])('the busiest address of each room in GET /v1/rooms, on the $kind store', ({ kind, redis }) => {
  let t: TestApp | undefined;
  beforeAll(async () => {
    if (redis && !(await requireRedis(`rooms busiest address (${kind})`))) return;
    t = await openApp(rule, { redis });
  });
  afterAll(() => t?.close());

  it('answers an empty list when no room of the prefix is active', async (ctx) => {
    if (!t) return ctx.skip();
    const page = await list(t.app, 'prefix=nobody-');
    expect(page.rooms).toEqual([]);
    expect(page.total).toBe(0);
  });

  it('calls a room concentrated when one address holds more than the share of at least the minimum', async (ctx) => {
    if (!t) return ctx.skip();
    // Four of six sessions behind one office address: 0.667 of the room.
    await fill(t.app, 'launch-keynote', [office, office, office, office, ...homes(2)]);
    const page = await list(t.app, 'prefix=launch-');
    expect(page.rooms).toHaveLength(1);
    expect(page.rooms[0]).toMatchObject({ room: 'launch-keynote', sessions: 6 });
    expect(page.rooms[0]!.busiest_address).toEqual({
      sessions: 4,
      share: 0.667,
      concentrated: true,
    });
  });

  it('does not call a room spread over many addresses concentrated', async (ctx) => {
    if (!t) return ctx.skip();
    await fill(t.app, 'shop:black-friday', homes(8, 10));
    const page = await list(t.app, 'prefix=shop:');
    expect(page.rooms[0]).toMatchObject({ room: 'shop:black-friday', sessions: 8 });
    expect(page.rooms[0]!.busiest_address).toEqual({
      sessions: 1,
      share: 0.125,
      concentrated: false,
    });
  });

  it('does not call a room concentrated below the minimum, nor at exactly the share', async (ctx) => {
    if (!t) return ctx.skip();
    // Three sessions, all from one address: the whole room, but fewer than four sessions.
    await fill(t.app, 'town-hall', [office, office, office]);
    // Four sessions, two from one address: half the room is not more than half.
    await fill(t.app, 'town-square', [office, office, ...homes(2, 30)]);
    const page = await list(t.app, 'prefix=town-&sort=room');
    expect(page.rooms.map((r) => [r.room, r.sessions, r.busiest_address])).toEqual([
      ['town-hall', 3, { sessions: 3, share: 1, concentrated: false }],
      ['town-square', 4, { sessions: 2, share: 0.5, concentrated: false }],
    ]);
  });

  it('answers every room of the page with its own busiest address', async (ctx) => {
    if (!t) return ctx.skip();
    await fill(t.app, 'page-spread', homes(7, 50));
    await fill(t.app, 'page-office', [office, office, office, office, ...homes(1, 60)]);
    await fill(t.app, 'page-small', [office, office]);
    const page = await list(t.app, 'prefix=page-');
    expect(page.total).toBe(3);
    expect(page.rooms.map((r) => [r.room, r.busiest_address])).toEqual([
      ['page-spread', { sessions: 1, share: 0.143, concentrated: false }],
      ['page-office', { sessions: 4, share: 0.8, concentrated: true }],
      ['page-small', { sessions: 2, share: 1, concentrated: false }],
    ]);
  });
});
