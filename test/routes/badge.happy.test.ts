// The "N watching" badge: an SVG for pages without JavaScript, cached like the count.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { badgeSvg } from '../../src/routes/badge.js';
import { heartbeat } from '../support/app.js';
import { withClientRoutes } from '../support/browser.js';
import { testConfig, uniquePrefix } from '../support/stores.js';

describe('GET /v1/rooms/:room/badge.svg', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    const config = testConfig({ REDIS_PREFIX: uniquePrefix('badge'), COUNT_MAX_AGE_S: '4' });
    app = await withClientRoutes(await buildApp({ config }));
    await app.ready();
    // Two tabs of ann and one of bob: three sessions, two viewers.
    await heartbeat(app, { room: 'stream', session: 'badge-session-1', viewer: 'ann' });
    await heartbeat(app, { room: 'stream', session: 'badge-session-2', viewer: 'ann' });
    await heartbeat(app, { room: 'stream', session: 'badge-session-3', viewer: 'bob' });
  });
  afterAll(() => app.close());

  it('says how many viewers are watching, as an accessible SVG image', async () => {
    const res = await app.inject({ url: '/v1/rooms/stream/badge.svg' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/svg+xml');
    expect(res.body).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="20" role="img" aria-label="2 watching">/,
    );
    expect(res.body).toContain('<title>2 watching</title>');
    // The text, and under it its shadow and its blurred shadow (badge-maker's flat style).
    expect(res.body.match(/>2 watching<\/text>/g)).toHaveLength(3);
  });

  it('shows an empty or unknown room as 0 watching, in grey', async () => {
    const res = await app.inject({ url: '/v1/rooms/nobody-here/badge.svg' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<title>0 watching</title>');
    expect(res.body).toContain('fill="#9f9f9f"');
    expect(res.body).not.toContain('fill="#4c1"');
  });

  it('grows with its text: a label and a longer number make a wider badge', async () => {
    const width = async (url: string) =>
      Number((await app.inject({ url })).body.match(/^<svg [^>]*width="(\d+)"/)![1]);
    const plain = await width('/v1/rooms/stream/badge.svg');
    const labelled = await width('/v1/rooms/stream/badge.svg?label=live');
    // The label's box: its text and a padding on either side.
    expect(labelled).toBeGreaterThan(plain + 12);
    const widthOf = (svg: string) => Number(svg.match(/^<svg [^>]*width="(\d+)"/)![1]);
    expect(widthOf(badgeSvg(1234))).toBeGreaterThan(widthOf(badgeSvg(2)));
  });

  it('escapes the label, so a badge can never carry markup', async () => {
    const label = '<script>"&\'';
    const res = await app.inject({
      url: `/v1/rooms/stream/badge.svg?label=${encodeURIComponent(label)}`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<script>');
    expect(res.body).toContain('&lt;script&gt;&quot;&amp;&apos;');
    expect(res.body).toContain('aria-label="&lt;script&gt;&quot;&amp;&apos;: 2 watching"');
  });

  it('sends an ETag and Cache-Control, 304 while the number is the same, 200 when it changes', async () => {
    const first = await app.inject({ url: '/v1/rooms/stream/badge.svg' });
    // As fresh as the count it draws, and kept by browsers and CDNs as long.
    expect(first.headers['cache-control']).toBe(
      'public, max-age=4, stale-while-revalidate=4, stale-if-error=60',
    );
    expect(first.headers['cdn-cache-control']).toBe(first.headers['cache-control']);
    expect(first.headers['surrogate-control']).toBe(
      'max-age=4, stale-while-revalidate=4, stale-if-error=60',
    );
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/".+"$/);

    const same = await app.inject({
      url: '/v1/rooms/stream/badge.svg',
      headers: { 'if-none-match': etag },
    });
    expect(same.statusCode).toBe(304);
    expect(same.body).toBe('');

    // Another tab of a viewer already counted changes the sessions, not the badge.
    await heartbeat(app, { room: 'stream', session: 'badge-session-4', viewer: 'bob' });
    const stillSame = await app.inject({
      url: '/v1/rooms/stream/badge.svg',
      headers: { 'if-none-match': etag },
    });
    expect(stillSame.statusCode).toBe(304);

    await heartbeat(app, { room: 'stream', session: 'badge-session-5', viewer: 'cy' });
    const changed = await app.inject({
      url: '/v1/rooms/stream/badge.svg',
      headers: { 'if-none-match': etag },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.body).toContain('<title>3 watching</title>');
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('may be embedded by any site', async () => {
    const res = await app.inject({
      url: '/v1/rooms/stream/badge.svg',
      headers: { origin: 'https://blog.example' },
    });
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});
