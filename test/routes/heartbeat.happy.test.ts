// What pages send: heartbeats and leaves, as JSON and as text/plain (sendBeacon).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAgent, countOf, heartbeat, openApp, type TestApp } from '../support/app.js';

describe('POST /v1/heartbeat and /v1/leave', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp();
  });
  afterAll(() => t.close());

  it('counts a heartbeat and tells the page when to send the next one', async () => {
    const res = await heartbeat(t.app, { room: 'stream-1', session: 'session-0001', viewer: 'u1' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      room: 'stream-1',
      session: 'session-0001',
      sessions: 1,
      viewers: 1,
      interval: 15,
      ttl: 45,
      counted: true,
    });
  });

  it('accepts text/plain bodies, as sendBeacon sends them', async () => {
    const res = await heartbeat(
      t.app,
      { room: 'beacon', session: 'session-0002' },
      'text/plain;charset=UTF-8',
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().sessions).toBe(1);
  });

  it('tells a hidden page the longer interval and ttl', async () => {
    const res = await heartbeat(t.app, { room: 'bg', session: 'session-0003', state: 'hidden' });
    expect(res.json()).toMatchObject({ interval: 60, ttl: 150 });
    expect(await countOf(t.app, 'bg')).toMatchObject({ sessions: 1, visible: 0 });
  });

  it('ignores fields it does not know, so newer clients keep working', async () => {
    const res = await heartbeat(t.app, { room: 'compat', session: 'session-0004', future: true });
    expect(res.statusCode).toBe(200);
  });

  it('answers a bot but does not count it', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/heartbeat',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)',
      },
      payload: { room: 'bots', session: 'session-0005' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ counted: false, sessions: 0 });
    expect((await countOf(t.app, 'bots')).sessions).toBe(0);
  });

  it('leave answers 204, also for a session it never saw', async () => {
    await heartbeat(t.app, { room: 'bye', session: 'session-0006' });
    for (const session of ['session-0006', 'session-unknown']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/leave',
        headers: { 'content-type': 'text/plain', 'user-agent': browserAgent },
        payload: JSON.stringify({ room: 'bye', session }),
      });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
    }
  });

  it('refuses a session that sends faster than interval/3 with 429 and Retry-After', async () => {
    const body = { room: 'eager', session: 'session-0007' };
    expect((await heartbeat(t.app, body)).statusCode).toBe(200);
    const res = await heartbeat(t.app, body);
    expect(res.statusCode).toBe(429);
    expect(res.json().error.code).toBe('rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(5);
    expect((await countOf(t.app, 'eager')).sessions).toBe(1);
  });
});

describe('server-chosen timings come from the configuration', () => {
  it('uses HEARTBEAT_INTERVAL_S and HEARTBEAT_TTL_S', async () => {
    const t = await openApp({ HEARTBEAT_INTERVAL_S: '20', HEARTBEAT_TTL_S: '70' });
    const res = await heartbeat(t.app, { room: 'cfg', session: 'session-0008' });
    expect(res.json()).toMatchObject({ interval: 20, ttl: 70 });
    await t.close();
  });
});
