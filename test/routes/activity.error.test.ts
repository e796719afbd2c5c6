// Bad activity gets its status and code, and nothing of its request is counted.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityToken, heartbeat, openApp, type TestApp } from '../support/app.js';

const uniqueRoom = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

describe.each([
  { store: 'embedded', redis: false },
  { store: 'redis', redis: true },
])('activity refused on the $store store', ({ redis }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp(
      { ACTIVITY_TOKEN: activityToken, PAGE_ACTIVITY_KINDS: 'reaction', ACTIVITY_MAX_KINDS: '3' },
      { redis },
    );
  });
  afterAll(() => t.close());

  const asBackend = { authorization: `Bearer ${activityToken}` };
  const post = (url: string, payload: unknown, headers: Record<string, string> = asBackend) =>
    t.app.inject({ method: 'POST', url, payload: payload as object, headers });
  /** What the room has counted so far, without ending its period (a reading is put back). */
  const activityOf = async (room: string) => {
    const [reading] = await t.app.archiveSource.readRooms([room]);
    return reading?.period.activity ?? {};
  };
  const many = (n: number, room: string) =>
    Array.from({ length: n }, () => ({ room, kind: 'comment' }));

  it.each([
    ['a kind with a capital letter', { kind: 'Comment' }, 'invalid_kind'],
    ['a kind starting with a digit', { kind: '1st' }, 'invalid_kind'],
    ['a kind of 33 characters', { kind: `a${'b'.repeat(32)}` }, 'invalid_kind'],
    ['no kind', { n: 2 }, 'missing_field'],
    ['n of 0', { kind: 'comment', n: 0 }, 'invalid_n'],
    ['n above 1000', { kind: 'comment', n: 1001 }, 'invalid_n'],
    ['n that is not whole', { kind: 'comment', n: 1.5 }, 'invalid_n'],
  ])('answers 400 to %s, counting nothing', async (_what, body, code) => {
    const room = uniqueRoom('bad');
    await post(`/v1/rooms/${room}/activity`, { kind: 'seed' });
    const res = await post(`/v1/rooms/${room}/activity`, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe(code);
    expect(await activityOf(room)).toEqual({ seed: 1 });
  });

  it('answers 400 invalid_room to a room outside the alphabet', async () => {
    const res = await post('/v1/rooms/bad%20room/activity', { kind: 'comment' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_room');
  });

  it.each([
    ['an empty batch', { events: [] }, 'invalid_events'],
    ['a batch of 501 events', { events: many(501, 'big') }, 'invalid_events'],
    [
      'a batch with an unknown room pattern',
      { events: [{ room: 'a b', kind: 'x' }] },
      'invalid_events',
    ],
    ['a batch with a bad kind', { events: [{ room: 'ok', kind: 'X' }] }, 'invalid_events'],
    ['a batch with a bad n', { events: [{ room: 'ok', kind: 'x', n: 0 }] }, 'invalid_events'],
    ['no events at all', {}, 'missing_field'],
  ])('answers 400 to %s, counting nothing', async (_what, body, code) => {
    const res = await post('/v1/activity', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe(code);
    expect(await activityOf('big')).toEqual({});
    expect(await activityOf('ok')).toEqual({});
  });

  it('refuses too many kinds in a period with 400 too_many_kinds, counting nothing of the batch', async () => {
    const [room, other] = [uniqueRoom('kinds'), uniqueRoom('kinds')];
    for (const kind of ['a', 'b', 'c']) await post(`/v1/rooms/${room}/activity`, { kind });
    const events = [
      { room: other, kind: 'ok', n: 7 },
      { room, kind: 'a', n: 2 },
      { room, kind: 'd' },
    ];
    const res = await post('/v1/activity', { events });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('too_many_kinds');
    expect(res.json().error.message).toContain(room);
    expect(await activityOf(room)).toEqual({ a: 1, b: 1, c: 1 });
    expect(await activityOf(other)).toEqual({});
    // A kind counted already is still counted, and a new period takes new kinds.
    expect((await post(`/v1/rooms/${room}/activity`, { kind: 'a' })).statusCode).toBe(200);
    expect((await post(`/v1/rooms/${room}/activity`, { kind: 'd' })).statusCode).toBe(200);
  });

  it("refuses a page's kind that PAGE_ACTIVITY_KINDS does not name with 403 kind_forbidden", async () => {
    const room = uniqueRoom('page');
    const session = 'session-page-kind-1';
    await heartbeat(t.app, { room, session });
    const res = await post(`/v1/rooms/${room}/activity`, { kind: 'purchase', session }, {});
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('kind_forbidden');
    expect(await activityOf(room)).toEqual({});
  });

  it("refuses a page's event for a session not online in the room with 409 session_offline", async () => {
    const room = uniqueRoom('page');
    await heartbeat(t.app, { room: uniqueRoom('elsewhere'), session: 'session-page-off-1' });
    const res = await post(
      `/v1/rooms/${room}/activity`,
      { kind: 'reaction', session: 'session-page-off-1' },
      {},
    );
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('session_offline');
    expect(await activityOf(room)).toEqual({});
  });

  it("refuses a page's second event within a second with 429 and Retry-After: 1", async () => {
    const room = uniqueRoom('page');
    const session = 'session-page-fast-1';
    await heartbeat(t.app, { room, session });
    const body = { kind: 'reaction', session };
    expect((await post(`/v1/rooms/${room}/activity`, body, {})).statusCode).toBe(200);
    const res = await post(`/v1/rooms/${room}/activity`, body, {});
    expect(res.statusCode).toBe(429);
    expect(res.json().error.code).toBe('rate_limited');
    expect(res.headers['retry-after']).toBe('1');
    expect(await activityOf(room)).toEqual({ reaction: 1 });
  });
});

describe('activity without credentials', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp({ ACTIVITY_TOKEN: activityToken });
  });
  afterAll(() => t.close());
  const room = uniqueRoom('creds');
  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, payload: payload as object, headers });

  it.each([
    ['no token and no session', `/v1/rooms/${room}/activity`, {}],
    [
      'a wrong token',
      `/v1/rooms/${room}/activity`,
      { authorization: 'Bearer wrong-token-0123456789' },
    ],
    ['the batch without a token', '/v1/activity', {}],
    ['the batch with another scheme', '/v1/activity', { authorization: `Basic ${activityToken}` }],
  ])('answers 401 unauthorized to %s, counting nothing', async (_what, url, headers) => {
    const body = url === '/v1/activity' ? { events: [{ room, kind: 'x' }] } : { kind: 'x' };
    const res = await post(url, body, headers);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
    expect(await t.app.archiveSource.roomsToArchive()).not.toContain(room);
  });
});
