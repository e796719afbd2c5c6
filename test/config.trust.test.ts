// The trust settings: signed rooms and their keys, the per-viewer session cap, the admin
// surface's origins and the proxies whose X-Forwarded-For is believed.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { problemsOf } from './support/config.js';

const secret = 'a-presence-secret-of-32-bytes-or-more';

describe('signed rooms configuration', () => {
  it('leaves every room open without PRESENCE_SECRET, with a cap of 10 sessions per viewer', () => {
    const config = loadConfig({});
    expect(config.signedRooms).toBeNull();
    expect(config.rules.maxSessionsPerViewer).toBe(10);
    expect(config.adminCorsOrigins).toEqual([]);
    expect(config.trustProxy).toBe(false);
  });

  it('signs every room with a plain secret, and takes kid:secret pairs for rotation', () => {
    expect(loadConfig({ PRESENCE_SECRET: secret }).signedRooms).toEqual({
      secrets: [{ kid: null, secret }],
      publicKeys: null,
      rooms: ['*'],
    });
    const rotating = loadConfig({
      PRESENCE_SECRET: `2026-10:${secret}, 2026-11:${secret}x`,
      SIGNED_ROOMS: 'live-*, members',
    });
    expect(rotating.signedRooms).toMatchObject({
      secrets: [
        { kid: '2026-10', secret },
        { kid: '2026-11', secret: `${secret}x` },
      ],
      rooms: ['live-*', 'members'],
    });
  });

  it('refuses short secrets, repeated kids and SIGNED_ROOMS without a key, never printing a secret', () => {
    const problems = problemsOf({
      PRESENCE_SECRET: 'k1:too-short,k1:also-short-but-repeated',
      MAX_SESSIONS_PER_VIEWER: '0',
    });
    expect(problems).toHaveLength(2);
    expect(problems.find((p) => p.startsWith('PRESENCE_SECRET=(hidden): '))).toMatch(
      /at least 32 bytes .*each kid once/,
    );
    expect(problems.join('\n')).not.toContain('too-short');
    expect(problems.find((p) => p.startsWith('MAX_SESSIONS_PER_VIEWER='))).toMatch(/from 1 to/);
    expect(problemsOf({ PRESENCE_SECRET: 'k1:too-short' })).toHaveLength(1);
    expect(problemsOf({ PRESENCE_SECRET: `k1:${secret},k1:${secret}` })).toHaveLength(1);
    expect(problemsOf({ SIGNED_ROOMS: 'live-*' })).toEqual([
      'SIGNED_ROOMS="live-*": needs PRESENCE_SECRET or PRESENCE_PUBLIC_KEYS: without a key no room can be signed',
    ]);
    expect(problemsOf({ PRESENCE_SECRET: secret, SIGNED_ROOMS: 'live*x,bad room' })[0]).toMatch(
      /^SIGNED_ROOMS=.*prefixes ending in \*/,
    );
  });

  it('takes public keys as a JSON Web Key Set, and refuses private keys or keys without kid', () => {
    const key = { kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'ed1', alg: 'EdDSA' };
    const config = loadConfig({ PRESENCE_PUBLIC_KEYS: JSON.stringify({ keys: [key] }) });
    expect(config.signedRooms?.publicKeys).toEqual({ keys: [key] });
    for (const keys of [
      'not json',
      '{"keys":[]}',
      JSON.stringify({ keys: [{ ...key, d: 'x' }] }),
    ]) {
      expect(problemsOf({ PRESENCE_PUBLIC_KEYS: keys })[0]).toMatch(
        /^PRESENCE_PUBLIC_KEYS=.*Key Set/,
      );
    }
    const noKid = { ...key, kid: undefined };
    expect(problemsOf({ PRESENCE_PUBLIC_KEYS: JSON.stringify({ keys: [noKid] }) })).toHaveLength(1);
  });
});

describe('admin surface and proxies configuration', () => {
  it('takes admin origins, but never a wildcard', () => {
    expect(
      loadConfig({ ADMIN_CORS_ORIGINS: 'https://ops.example, http://localhost:3000' })
        .adminCorsOrigins,
    ).toEqual(['https://ops.example', 'http://localhost:3000']);
    expect(problemsOf({ ADMIN_CORS_ORIGINS: '*' })[0]).toMatch(
      /^ADMIN_CORS_ORIGINS="\*": .*not allowed/,
    );
  });

  it('takes a hop count or trusted proxy addresses and ranges, and refuses "trust anyone"', () => {
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7, fd00::/8' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      'fd00::/8',
    ]);
    for (const value of ['true', '1.2.3.4/33', 'proxy.example', '10.0.0.0/8/1', '99']) {
      expect(problemsOf({ TRUST_PROXY: value })[0]).toMatch(/^TRUST_PROXY=.*hop count/);
    }
  });
});
