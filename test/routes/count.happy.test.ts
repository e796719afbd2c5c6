// What pages and dashboards poll: one room's count, many rooms' counts, cacheable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeat, openApp, type TestApp } from '../support/app.js';

describe('GET /v1/rooms/:room/count and /v1/counts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp({ COUNT_MAX_AGE_S: '3', COUNT_POLL_S: '7' });
    await heartbeat(t.app, { room: 'live', session: 'session-c-001', viewer: 'ann' });
    await heartbeat(t.app, {
      room: 'live',
      session: 'session-c-002',
      viewer: 'ann',
      state: 'hidden',
    });
  });
  afterAll(() => t.close());

  it('answers sessions, viewers, visible and the live period peak', async () => {
    const res = await t.app.inject({ url: '/v1/rooms/live/count' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ room: 'live', sessions: 2, viewers: 1, visible: 1 });
    expect(body.peak).toMatchObject({ sessions: 2, viewers: 1 });
    expect(Date.parse(body.peak.at)).toBeLessThanOrEqual(Date.parse(body.at));
  });

  it('answers zeros for a room nobody is in, not 404', async () => {
    const res = await t.app.inject({ url: '/v1/rooms/empty-room/count' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      sessions: 0,
      viewers: 0,
      visible: 0,
      peak: { sessions: 0, at: null },
    });
  });

  it('sends an ETag and Cache-Control, and 304 when the counts did not change', async () => {
    const first = await t.app.inject({ url: '/v1/rooms/live/count' });
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await t.app.inject({
      url: '/v1/rooms/live/count',
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    // The 304 carries the cache headers too: a CDN refreshes its copy's age from it.
    expect(again.headers['cache-control']).toBe(first.headers['cache-control']);
    expect(again.headers['cdn-cache-control']).toBe(first.headers['cdn-cache-control']);
    await heartbeat(t.app, { room: 'live', session: 'session-c-003' });
    const changed = await t.app.inject({
      url: '/v1/rooms/live/count',
      headers: { 'if-none-match': etag },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('tells browsers, CDNs and pages how long a count may be kept and when to ask again', async () => {
    const res = await t.app.inject({ url: '/v1/rooms/live/count' });
    expect(res.headers['cache-control']).toBe(
      'public, max-age=3, stale-while-revalidate=3, stale-if-error=60',
    );
    expect(res.headers['cdn-cache-control']).toBe(
      'public, max-age=3, stale-while-revalidate=3, stale-if-error=60',
    );
    expect(res.headers['surrogate-control']).toBe(
      'max-age=3, stale-while-revalidate=3, stale-if-error=60',
    );
    expect(res.headers['headcount-poll-interval']).toBe('7');
    // A page on another origin may read the poll interval and the ETag.
    const cors = await t.app.inject({
      url: '/v1/rooms/live/count',
      headers: { origin: 'https://site.example' },
    });
    expect(String(cors.headers['access-control-expose-headers']).split(/, */)).toEqual(
      expect.arrayContaining(['ETag', 'Headcount-Poll-Interval']),
    );
  });

  it('counts several rooms in one call', async () => {
    const res = await t.app.inject({ url: '/v1/counts?rooms=live,empty-room' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body.rooms)).toEqual(['live', 'empty-room']);
    expect(body.rooms['empty-room'].sessions).toBe(0);
    expect(body.rooms.live.sessions).toBeGreaterThanOrEqual(2);
    const etag = String(res.headers.etag);
    const again = await t.app.inject({
      url: '/v1/counts?rooms=live,empty-room',
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
  });
});
