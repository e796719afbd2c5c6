// Signed rooms let in the heartbeats whose token the site's backend minted: the viewer is the
// token's sub, keys rotate by kid, and open rooms next to signed ones stay as they are.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countOf, heartbeat, openApp, type TestApp } from '../support/app.js';
import { claimsFor, ed25519Signer, mintHs256, secretA, secretB } from '../support/tokens.js';

const session = () => `session-${randomBytes(6).toString('hex')}`;

const leave = (t: TestApp, body: object) =>
  t.app.inject({ method: 'POST', url: '/v1/leave', payload: body });

describe.each([
  { store: 'embedded', redis: false },
  { store: 'redis', redis: true },
])('signed rooms on the $store store', ({ redis }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp(
      { PRESENCE_SECRET: `k1:${secretA}`, SIGNED_ROOMS: 'live-*,members', LEAVE_GRACE_S: '1' },
      { redis },
    );
  });
  afterAll(() => t.close());

  it('counts a heartbeat whose token names the room, and answers as in an open room', async () => {
    const token = mintHs256(claimsFor('members', 'user-1'), secretA, { kid: 'k1' });
    const res = await heartbeat(t.app, { room: 'members', session: 'session-m-0001', token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ room: 'members', sessions: 1, viewers: 1, counted: true });
  });

  it('takes the viewer from sub, never from the body', async () => {
    const room = 'live-viewer';
    const token = mintHs256(claimsFor(room, 'user-7'), secretA, { kid: 'k1' });
    for (const viewer of ['made-up-1', 'made-up-2', 'made-up-3']) {
      const res = await heartbeat(t.app, { room, session: session(), viewer, token });
      expect(res.statusCode).toBe(200);
    }
    expect(await countOf(t.app, room)).toMatchObject({ sessions: 3, viewers: 1 });
  });

  it('accepts a token for a prefix of rooms in every room of that prefix', async () => {
    const token = mintHs256(claimsFor('live-*', 'user-2'), secretA, { kid: 'k1' });
    for (const room of ['live-a', 'live-b']) {
      const res = await heartbeat(t.app, { room, session: session(), token });
      expect(res.statusCode).toBe(200);
      expect((await countOf(t.app, room)).sessions).toBe(1);
    }
  });

  it('leaves with the same token: the session goes after the leave grace', async () => {
    const room = 'live-leave';
    const id = session();
    const token = mintHs256(claimsFor(room, 'user-3'), secretA, { kid: 'k1' });
    await heartbeat(t.app, { room, session: id, token });
    const res = await leave(t, { room, session: id, token });
    expect(res.statusCode).toBe(204);
    await new Promise((r) => setTimeout(r, 1_300));
    expect((await countOf(t.app, room)).sessions).toBe(0);
  });

  it('leaves rooms outside SIGNED_ROOMS open: no token needed, the body names the viewer', async () => {
    const room = 'open-lobby';
    for (const viewer of ['guest-1', 'guest-2']) {
      const res = await heartbeat(t.app, { room, session: session(), viewer });
      expect(res.statusCode).toBe(200);
    }
    expect(await countOf(t.app, room)).toMatchObject({ sessions: 2, viewers: 2 });
    expect((await leave(t, { room, session: 'session-unknown' })).statusCode).toBe(204);
  });
});

describe('key rotation', () => {
  it('accepts tokens of every configured kid, and refuses a kid once it is removed', async () => {
    const both = await openApp({ PRESENCE_SECRET: `old:${secretA},new:${secretB}` });
    const oldToken = mintHs256(claimsFor('rotating', 'user-1'), secretA, { kid: 'old' });
    const newToken = mintHs256(claimsFor('rotating', 'user-2'), secretB, { kid: 'new' });
    expect(
      (await heartbeat(both.app, { room: 'rotating', session: session(), token: oldToken }))
        .statusCode,
    ).toBe(200);
    expect(
      (await heartbeat(both.app, { room: 'rotating', session: session(), token: newToken }))
        .statusCode,
    ).toBe(200);
    expect(await countOf(both.app, 'rotating')).toMatchObject({ sessions: 2, viewers: 2 });
    await both.close();

    const rotated = await openApp({ PRESENCE_SECRET: `new:${secretB}` });
    const refused = await heartbeat(rotated.app, {
      room: 'rotating',
      session: session(),
      token: oldToken,
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('invalid_token');
    const accepted = await heartbeat(rotated.app, {
      room: 'rotating',
      session: session(),
      token: newToken,
    });
    expect(accepted.statusCode).toBe(200);
    expect((await countOf(rotated.app, 'rotating')).sessions).toBe(1);
    await rotated.close();
  });

  it('takes a plain secret for tokens without a kid, next to secrets chosen by kid', async () => {
    const t = await openApp({ PRESENCE_SECRET: `${secretA},next:${secretB}` });
    const plain = mintHs256(claimsFor('plain', 'user-1'), secretA);
    const next = mintHs256(claimsFor('plain', 'user-2'), secretB, { kid: 'next' });
    expect(
      (await heartbeat(t.app, { room: 'plain', session: session(), token: plain })).statusCode,
    ).toBe(200);
    expect(
      (await heartbeat(t.app, { room: 'plain', session: session(), token: next })).statusCode,
    ).toBe(200);
    expect((await countOf(t.app, 'plain')).viewers).toBe(2);
    await t.close();
  });
});

describe('tokens signed with a public key (EdDSA)', () => {
  it('accepts a token signed by the private key of a key in PRESENCE_PUBLIC_KEYS', async () => {
    const signer = ed25519Signer('ed-2026');
    const t = await openApp({ PRESENCE_PUBLIC_KEYS: signer.jwks });
    const res = await heartbeat(t.app, {
      room: 'ed-room',
      session: session(),
      token: signer.mint(claimsFor('ed-room', 'user-9')),
    });
    expect(res.statusCode).toBe(200);
    expect((await countOf(t.app, 'ed-room')).sessions).toBe(1);
    await t.close();
  });
});
