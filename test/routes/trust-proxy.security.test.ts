// TRUST_PROXY decides whose X-Forwarded-For is believed: the address used for limits is the one
// the nearest trusted proxy saw, and a client cannot pick its own by sending the header.
import { describe, expect, it } from 'vitest';
import { openApp, type TestApp } from '../support/app.js';

/** A request with one request per address allowed: 200 the first time an address is seen. */
const count = (t: TestApp, remoteAddress: string, forwardedFor?: string) =>
  t.app
    .inject({
      url: '/v1/rooms/lobby/count',
      remoteAddress,
      headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
    })
    .then((res) => res.statusCode);

describe('the client address behind proxies', () => {
  it('ignores X-Forwarded-For by default: a client cannot dodge its limit with the header', async () => {
    const t = await openApp({ RATE_LIMIT_MAX: '1' });
    expect(await count(t, '203.0.113.5', '198.51.100.1')).toBe(200);
    expect(await count(t, '203.0.113.5', '198.51.100.2')).toBe(429);
    await t.close();
  });

  it('with a hop count, takes the address the nearest proxy saw, not what the client claimed', async () => {
    const t = await openApp({ RATE_LIMIT_MAX: '1', TRUST_PROXY: '1' });
    expect(await count(t, '10.0.0.1', '198.51.100.1')).toBe(200);
    expect(await count(t, '10.0.0.1', '198.51.100.2')).toBe(200);
    // The client sent "192.0.2.77"; the proxy appended the address it saw.
    expect(await count(t, '10.0.0.1', '192.0.2.77, 198.51.100.1')).toBe(429);
    await t.close();
  });

  it('with proxy ranges, believes the header only from those proxies', async () => {
    const t = await openApp({ RATE_LIMIT_MAX: '1', TRUST_PROXY: '10.0.0.0/8, 2001:db8::1' });
    expect(await count(t, '10.1.2.3', '198.51.100.1')).toBe(200);
    expect(await count(t, '10.9.9.9', '198.51.100.2')).toBe(200);
    expect(await count(t, '10.1.2.3', '192.0.2.77, 198.51.100.1')).toBe(429);
    // Not a trusted proxy: its own address counts, whatever it forwards.
    expect(await count(t, '203.0.113.9', '198.51.100.3')).toBe(200);
    expect(await count(t, '203.0.113.9', '198.51.100.4')).toBe(429);
    await t.close();
  });
});
