// Activity beside presence (SPEC 10): a site's backend counts events one at a time or in a batch,
// a page counts the kinds it may for its own online session, and every reading carries them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityToken, heartbeat, openApp, type TestApp } from '../support/app.js';

const uniqueRoom = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

describe.each([
  { store: 'embedded', redis: false },
  { store: 'redis', redis: true },
])('activity on the $store store', ({ redis }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp(
      { ACTIVITY_TOKEN: activityToken, PAGE_ACTIVITY_KINDS: 'reaction,comment' },
      { redis },
    );
  });
  afterAll(() => t.close());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, payload: payload as object, headers });
  const asBackend = { authorization: `Bearer ${activityToken}` };
  const activityOf = async (room: string) => {
    const [reading] = await t.app.archiveSource.readRooms([room]);
    return reading?.period.activity ?? {};
  };

  it("counts a backend's events of one room, n at a time", async () => {
    const room = uniqueRoom('shop');
    const one = await post(`/v1/rooms/${room}/activity`, { kind: 'purchase' }, asBackend);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({ counted: 1, at: expect.any(String) });
    const five = await post(`/v1/rooms/${room}/activity`, { kind: 'purchase', n: 5 }, asBackend);
    expect(five.json().counted).toBe(5);
    expect(await activityOf(room)).toEqual({ purchase: 6 });
  });

  it('counts a batch of events in several rooms in one request', async () => {
    const [a, b] = [uniqueRoom('stream'), uniqueRoom('stream')];
    const events = [
      { room: a, kind: 'comment', n: 3 },
      { room: b, kind: 'comment' },
      { room: a, kind: 'reaction', n: 10 },
      { room: a, kind: 'comment' },
    ];
    const res = await post('/v1/activity', { events }, asBackend);
    expect(res.statusCode).toBe(200);
    expect(res.json().counted).toBe(15);
    expect(await activityOf(a)).toEqual({ comment: 4, reaction: 10 });
    expect(await activityOf(b)).toEqual({ comment: 1 });
  });

  it('counts a page event for its online session, as text/plain as sendBeacon sends it', async () => {
    const room = uniqueRoom('live');
    const session = 'session-page-0001';
    expect((await heartbeat(t.app, { room, session })).statusCode).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/rooms/${room}/activity`,
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify({ kind: 'reaction', session }),
    });
    expect(res.statusCode).toBe(200);
    expect(await activityOf(room)).toEqual({ reaction: 1 });
  });

  it('archives a room that had activity but no one online', async () => {
    const room = uniqueRoom('quiet');
    await post(`/v1/rooms/${room}/activity`, { kind: 'purchase', n: 2 }, asBackend);
    expect(await t.app.archiveSource.roomsToArchive()).toContain(room);
    const [reading] = await t.app.archiveSource.readRooms([room]);
    expect(reading).toMatchObject({ sessions: 0, period: { activity: { purchase: 2 } } });
  });
});
