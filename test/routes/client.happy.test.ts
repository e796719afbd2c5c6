// GET /presence.js, /presence.mjs, /presence.d.ts and /headcount-count.js: the built client and
// its element, served to any page.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { buildClient, type ClientFiles } from '../../src/client/build.js';
import { withClientRoutes } from '../support/browser.js';
import { testConfig, uniquePrefix } from '../support/stores.js';

describe('the browser client routes', () => {
  let app: FastifyInstance;
  let files: ClientFiles;

  beforeAll(async () => {
    files = await buildClient();
    app = await withClientRoutes(
      await buildApp({ config: testConfig({ REDIS_PREFIX: uniquePrefix('client') }) }),
    );
    await app.ready();
  });
  afterAll(() => app.close());

  it.each([
    ['presence.js', 'application/javascript; charset=utf-8'],
    ['presence.mjs', 'application/javascript; charset=utf-8'],
    ['presence.d.ts', 'application/typescript; charset=utf-8'],
    ['headcount-count.js', 'application/javascript; charset=utf-8'],
  ] as const)('serves /%s as built, with its type, open to every origin', async (name, type) => {
    const res = await app.inject({ url: `/${name}`, headers: { origin: 'https://shop.example' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.body).toBe(files[name]);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
  });

  it('answers 304 to a matching If-None-Match, and 200 to a stale one', async () => {
    const first = await app.inject({ url: '/presence.js' });
    const etag = String(first.headers.etag);
    // @fastify/static's weak validator: size and modification time.
    expect(etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    const same = await app.inject({ url: '/presence.js', headers: { 'if-none-match': etag } });
    expect(same.statusCode).toBe(304);
    expect(same.body).toBe('');
    const stale = await app.inject({ url: '/presence.js', headers: { 'if-none-match': '"old"' } });
    expect(stale.statusCode).toBe(200);
  });
});
