// GET /dashboard and its files: served as built, with a strict Content-Security-Policy and the
// other security headers, cached with validators.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ensureClientBuilt, withClientRoutes } from '../support/browser.js';
import { testConfig, uniquePrefix } from '../support/stores.js';

describe('the dashboard routes', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    await ensureClientBuilt();
    app = await withClientRoutes(
      await buildApp({ config: testConfig({ REDIS_PREFIX: uniquePrefix('dashboard') }) }),
    );
    await app.ready();
  });
  afterAll(() => app.close());

  it('lets the page run only its own scripts, talk only to its own origin, and never be framed', async () => {
    const res = await app.inject({ url: '/dashboard' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<title>Headcount dashboard</title>');
    expect(String(res.headers['content-security-policy']).split(';').sort()).toEqual(
      [
        "base-uri 'none'",
        "connect-src 'self'",
        "default-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "img-src 'self' data:",
        "object-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
      ].sort(),
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
  });

  it.each([
    ['/dashboard/dashboard.js', 'application/javascript; charset=utf-8'],
    ['/dashboard/dashboard.css', 'text/css; charset=utf-8'],
    ['/dashboard/uplot.js', 'application/javascript; charset=utf-8'],
    ['/dashboard/uplot.css', 'text/css; charset=utf-8'],
  ])('serves %s with its type, and 304 when the browser has it', async (url, type) => {
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.body.length).toBeGreaterThan(100);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    const again = await app.inject({
      url,
      headers: { 'if-none-match': String(res.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });

  it('keeps the security headers to the dashboard: the API routes do not get them', async () => {
    const res = await app.inject({ url: '/v1/rooms/anything/count' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBeUndefined();
  });
});
