// Admin routes need the admin token; public routes are open to the configured origins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, heartbeat, openApp, type TestApp } from '../support/app.js';

describe('GET /v1/rooms (admin)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp();
    await heartbeat(t.app, { room: 'small', session: 'session-r-001' });
    for (const s of ['session-r-002', 'session-r-003'])
      await heartbeat(t.app, { room: 'big', session: s });
  });
  afterAll(() => t.close());

  it('lists active rooms largest first with the admin token', async () => {
    const res = await t.app.inject({
      url: '/v1/rooms?limit=50',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.statusCode).toBe(200);
    expect(
      res.json().rooms.map((r: { room: string; sessions: number }) => [r.room, r.sessions]),
    ).toEqual([
      ['big', 2],
      ['small', 1],
    ]);
  });

  it('answers 401 unauthorized without a token', async () => {
    const res = await t.app.inject({ url: '/v1/rooms' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });

  it('answers 403 forbidden with a wrong or malformed token', async () => {
    for (const authorization of [
      'Bearer wrong-token-0123456789',
      `Basic ${adminToken}`,
      'Bearer',
    ]) {
      const res = await t.app.inject({ url: '/v1/rooms', headers: { authorization } });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
  });

  it('answers 400 invalid_query to a limit out of range', async () => {
    for (const limit of ['0', '1001', 'many']) {
      const res = await t.app.inject({
        url: `/v1/rooms?limit=${limit}`,
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('invalid_query');
    }
  });
});

describe('CORS', () => {
  it('answers a preflight from any origin by default, exposing Retry-After', async () => {
    const t = await openApp();
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/heartbeat',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
    const get = await t.app.inject({
      url: '/v1/rooms/x/count',
      headers: { origin: 'https://shop.example' },
    });
    expect(String(get.headers['access-control-expose-headers'])).toContain('Retry-After');
    await t.close();
  });

  it('allows only the origins in CORS_ORIGINS when set', async () => {
    const t = await openApp({ CORS_ORIGINS: 'https://a.example, https://b.example' });
    const allowed = await t.app.inject({
      url: '/v1/rooms/x/count',
      headers: { origin: 'https://b.example' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://b.example');
    const denied = await t.app.inject({
      url: '/v1/rooms/x/count',
      headers: { origin: 'https://evil.example' },
    });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    await t.close();
  });
});

describe('health, readiness and the API document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp();
  });
  afterAll(() => t.close());

  it('says ok on /healthz and ready on /readyz', async () => {
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { store: 'up' } });
  });

  it('serves an OpenAPI document generated from the route schemas, and its UI at /docs', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/heartbeat',
        '/v1/leave',
        '/v1/rooms/{room}/count',
        '/v1/counts',
        '/v1/rooms',
      ]),
    );
    expect(doc.paths['/v1/heartbeat'].post.responses).toHaveProperty('429');
    const ui = await t.app.inject({ url: '/docs' });
    expect([200, 302]).toContain(ui.statusCode);
  });
});
