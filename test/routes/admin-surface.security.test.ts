// The admin surface is closed: admin and analyst routes answer without wildcard CORS (only the
// origins of ADMIN_CORS_ORIGINS), are never cached, and name the Bearer scheme on 401; the
// pages the service serves itself (dashboard, /docs) send the same security headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { adminToken, openApp, sharedDatabase, type TestApp } from '../support/app.js';
import { testConfig, uniquePrefix } from '../support/stores.js';

const evil = 'https://evil.example';
const ops = 'https://ops.example';
const adminUrls = ['/v1/rooms', '/v1/rooms/stage/history?step=1h', '/v1/rooms/stage/periods'];
const bearer = { authorization: `Bearer ${adminToken}` };

const preflight = (t: TestApp, url: string, origin: string) =>
  t.app.inject({
    method: 'OPTIONS',
    url,
    headers: {
      origin,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization',
    },
  });

describe('admin and analyst routes by default', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp();
  });
  afterAll(() => t.close());

  it('answer with no CORS at all, even though public routes allow every origin', async () => {
    for (const url of adminUrls) {
      const res = await t.app.inject({ url, headers: { ...bearer, origin: evil } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['access-control-allow-origin'], url).toBeUndefined();
    }
    const count = await t.app.inject({ url: '/v1/rooms/stage/count', headers: { origin: evil } });
    expect(count.headers['access-control-allow-origin']).toBe('*');
  });

  it('answer no preflight, so a page elsewhere cannot send them the token', async () => {
    for (const url of adminUrls) {
      const res = await preflight(t, url, evil);
      expect(res.headers['access-control-allow-origin'], url).toBeUndefined();
      expect(res.headers['access-control-allow-headers'], url).toBeUndefined();
    }
    const heartbeat = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/heartbeat',
      headers: { origin: evil, 'access-control-request-method': 'POST' },
    });
    expect(heartbeat.headers['access-control-allow-origin']).toBe('*');
  });

  it('are never stored by a cache: no-store on success and on every refusal', async () => {
    for (const url of adminUrls) {
      for (const headers of [bearer, {}, { authorization: 'Bearer wrong-token-0123456789' }]) {
        const res = await t.app.inject({ url, headers });
        expect(res.headers['cache-control'], `${url} ${res.statusCode}`).toBe('no-store');
      }
    }
    const count = await t.app.inject({ url: '/v1/rooms/stage/count' });
    expect(count.headers['cache-control']).toMatch(/^public, max-age=/);
  });

  it('name the Bearer scheme on 401, and keep the error body', async () => {
    for (const url of adminUrls) {
      const res = await t.app.inject({ url });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="headcount"');
      expect(res.json().error.code).toBe('unauthorized');
    }
    const wrong = await t.app.inject({
      url: '/v1/rooms',
      headers: { authorization: 'Bearer wrong-token-0123456789' },
    });
    expect(wrong.statusCode).toBe(403);
  });

  it('serve /docs with the same security headers as the dashboard', async () => {
    const headers = [
      'content-security-policy',
      'x-content-type-options',
      'referrer-policy',
      'x-frame-options',
      'cross-origin-opener-policy',
      'cross-origin-resource-policy',
    ];
    const dashboard = (await t.app.inject({ url: '/dashboard' })).headers;
    expect(dashboard['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(dashboard['x-content-type-options']).toBe('nosniff');
    expect(dashboard['referrer-policy']).toBe('no-referrer');
    for (const url of ['/docs', '/docs/static/index.html', '/docs/json']) {
      const res = await t.app.inject({ url });
      for (const header of headers) {
        expect(res.headers[header], `${url} ${header}`).toBe(dashboard[header]);
      }
    }
  });
});

describe('admin and analyst routes with ADMIN_CORS_ORIGINS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp({ ADMIN_CORS_ORIGINS: ops, CORS_ORIGINS: 'https://shop.example' });
  });
  afterAll(() => t.close());

  it('allow the listed origin, with the Authorization header, and no other', async () => {
    const allowed = await preflight(t, '/v1/rooms', ops);
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(ops);
    expect(String(allowed.headers['access-control-allow-headers'])).toMatch(/authorization/i);
    const get = await t.app.inject({ url: '/v1/rooms', headers: { ...bearer, origin: ops } });
    expect(get.headers['access-control-allow-origin']).toBe(ops);
    expect(String(get.headers.vary)).toMatch(/origin/i);

    for (const origin of [evil, 'https://shop.example']) {
      expect(
        (await preflight(t, '/v1/rooms', origin)).headers['access-control-allow-origin'],
      ).toBeUndefined();
      const res = await t.app.inject({ url: '/v1/rooms', headers: { ...bearer, origin } });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('leave public routes to CORS_ORIGINS', async () => {
    const shop = await t.app.inject({
      url: '/v1/rooms/stage/count',
      headers: { origin: 'https://shop.example' },
    });
    expect(shop.headers['access-control-allow-origin']).toBe('https://shop.example');
    const fromOps = await t.app.inject({ url: '/v1/rooms/stage/count', headers: { origin: ops } });
    expect(fromOps.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('a route added later behind the admin token (as /metrics would be)', () => {
  it('gets the same closed surface by using app.verifyAdmin', async () => {
    const config = testConfig({ REDIS_PREFIX: uniquePrefix('adm') });
    const app = await buildApp({ config, database: await sharedDatabase() });
    app.get('/operators-only', { onRequest: app.verifyAdmin }, async () => ({ ok: true }));
    await app.ready();
    const ok = await app.inject({ url: '/operators-only', headers: { ...bearer, origin: evil } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(ok.headers['access-control-allow-origin']).toBeUndefined();
    const refused = await app.inject({ url: '/operators-only' });
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="headcount"');
    await app.close();
  });
});
