// In a signed room a heartbeat or leave without a valid token for that room is 401
// invalid_token, and it changes nothing: no session is added, none is renamed, none leaves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countOf, heartbeat, openApp, type TestApp } from '../support/app.js';
import {
  type Claims,
  claimsFor,
  ed25519Signer,
  epochS,
  mintHs256,
  secretA,
  secretB,
} from '../support/tokens.js';

const room = 'guarded';
const kid = { kid: 'k1' };
const valid = (claims: Claims = claimsFor(room, 'viewer-1')) => mintHs256(claims, secretA, kid);

const unsigned = (claims: Claims) =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

/** A valid token whose payload was changed after signing. */
function tampered(): string {
  const [header, , signature] = valid().split('.');
  const payload = Buffer.from(JSON.stringify(claimsFor(room, 'someone-else'))).toString(
    'base64url',
  );
  return `${header}.${payload}.${signature}`;
}

/** The room's count and peak, without the time of the reading. */
async function countAndPeak(t: TestApp) {
  const { at: _at, ...rest } = (await countOf(t.app, room)) as { at?: string };
  return rest;
}

const without = (claim: string): Claims => {
  const claims = claimsFor(room, 'viewer-1');
  delete claims[claim];
  return claims;
};

const badTokens: [string, string | undefined][] = [
  ['no token', undefined],
  ['an empty token', ''],
  ['not a JWT', 'not-a-jwt'],
  ['a token signed with another secret', mintHs256(claimsFor(room, 'viewer-1'), secretB, kid)],
  ['a token whose payload was changed after signing', tampered()],
  ['an expired token', valid({ ...claimsFor(room, 'viewer-1'), exp: epochS(-60) })],
  ['a token that is not valid yet', valid({ ...claimsFor(room, 'viewer-1'), nbf: epochS(60) })],
  ['a token for another room', valid(claimsFor('other-room', 'viewer-1'))],
  ['a token for a prefix that does not cover the room', valid(claimsFor('guard-*', 'viewer-1'))],
  ['a token with an unknown kid', mintHs256(claimsFor(room, 'viewer-1'), secretA, { kid: 'k9' })],
  ['a token without a kid when every secret has one', mintHs256(claimsFor(room, 'v'), secretA)],
  ['an unsigned token (alg none)', unsigned(claimsFor(room, 'viewer-1'))],
  ['a token without exp', valid(without('exp'))],
  ['a token without sub', valid(without('sub'))],
  ['a token without room', valid(without('room'))],
  ['a token whose room is not a string', valid({ ...claimsFor(room, 'viewer-1'), room: [room] })],
  ['a token whose sub is not a viewer id', valid(claimsFor(room, 'not a viewer id'))],
  [
    'a token signed with EdDSA when no public key is set',
    ed25519Signer('k1').mint(claimsFor(room, 'v')),
  ],
];

describe.each([
  { store: 'embedded', redis: false },
  { store: 'redis', redis: true },
])('bad tokens on the $store store', ({ redis }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp({ PRESENCE_SECRET: `k1:${secretA}`, LEAVE_GRACE_S: '1' }, { redis });
    // One session online with a valid token, so that "nothing changed" can be seen.
    const res = await heartbeat(t.app, { room, session: 'session-kept-01', token: valid() });
    expect(res.statusCode).toBe(200);
  });
  afterAll(() => t.close());

  it.each(badTokens)(
    'refuses a heartbeat with %s: 401 invalid_token, nothing counted',
    async (_, token) => {
      const before = await countAndPeak(t);
      expect(before).toMatchObject({ sessions: 1, viewers: 1 });
      for (const session of ['session-new-0001', 'session-kept-01']) {
        const res = await heartbeat(t.app, { room, session, viewer: 'viewer-from-body', token });
        expect(res.statusCode).toBe(401);
        expect(res.json().error.code).toBe('invalid_token');
        expect(res.json().error.message).toMatch(/token/);
      }
      expect(await countAndPeak(t)).toEqual(before);
    },
  );

  it.each(badTokens)('refuses a leave with %s: the session stays online', async (_, token) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/leave',
      payload: { room, session: 'session-kept-01', ...(token === undefined ? {} : { token }) },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('invalid_token');
  });

  it('keeps the session online after the refused leaves, and lets the valid leave through', async () => {
    await new Promise((r) => setTimeout(r, 1_300));
    expect((await countOf(t.app, room)).sessions).toBe(1);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/leave',
      payload: { room, session: 'session-kept-01', token: valid() },
    });
    expect(res.statusCode).toBe(204);
    await new Promise((r) => setTimeout(r, 1_300));
    expect((await countOf(t.app, room)).sessions).toBe(0);
  });
});

describe('tokens that confuse algorithms', () => {
  it('refuses an HS256 token keyed with a public key, and an EdDSA token from another key', async () => {
    const signer = ed25519Signer('ed');
    const t = await openApp({
      PRESENCE_SECRET: `k1:${secretA}`,
      PRESENCE_PUBLIC_KEYS: signer.jwks,
    });
    const jwk = JSON.parse(signer.jwks).keys[0] as { x: string };
    const confused = [
      mintHs256(claimsFor(room, 'viewer-1'), jwk.x, { kid: 'ed' }),
      ed25519Signer('ed').mint(claimsFor(room, 'viewer-1')),
    ];
    for (const token of confused) {
      const res = await heartbeat(t.app, { room, session: 'session-conf-01', token });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('invalid_token');
    }
    expect((await countOf(t.app, room)).sessions).toBe(0);
    await t.close();
  });
});
