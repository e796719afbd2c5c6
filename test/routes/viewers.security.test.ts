// Who may read the online list (SPEC 9): members of a signed room with their token, the admin
// anywhere, nobody else; and a viewer appearing offline looks exactly like one that is offline.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, heartbeat, openApp, type TestApp } from '../support/app.js';
import { claimsFor, epochS, mintHs256, secretA, secretB } from '../support/tokens.js';
import { figures } from '../support/viewers.js';

describe.each([
  { store: 'embedded', redis: false },
  { store: 'redis', redis: true },
])('who may read the online list on the $store store', ({ redis }) => {
  let t: TestApp;
  const signed = `club-${randomBytes(4).toString('hex')}`;
  const open = `open-${randomBytes(4).toString('hex')}`;
  const member = mintHs256(claimsFor(signed, 'ada'), secretA);
  beforeAll(async () => {
    t = await openApp({ PRESENCE_SECRET: secretA, SIGNED_ROOMS: 'club-*' }, { redis });
    for (const [sub, extra] of [
      ['ada', {}],
      ['hedy', { listed: false }],
    ] as const) {
      const token = mintHs256({ ...claimsFor(signed, sub), ...extra }, secretA);
      const res = await heartbeat(t.app, { room: signed, session: `session-${sub}-01`, token });
      expect(res.statusCode).toBe(200);
    }
    const res = await heartbeat(t.app, { room: open, session: 'session-open-01', viewer: 'x' });
    expect(res.statusCode).toBe(200);
  });
  afterAll(() => t.close());

  const ask = (room: string, authorization?: string, query = '') =>
    t.app.inject({
      url: `/v1/rooms/${room}/viewers${query}`,
      headers: authorization ? { authorization } : {},
    });

  it.each([
    ['no credentials in a signed room', () => ask(signed), 403, 'list_forbidden'],
    ['no credentials in an open room', () => ask(open), 403, 'list_forbidden'],
    ['a member token in an open room', () => ask(open, `Bearer ${member}`), 403, 'list_forbidden'],
    [
      "a token signed with a key the service doesn't accept",
      () => ask(signed, `Bearer ${mintHs256(claimsFor(signed, 'ada'), secretB)}`),
      401,
      'invalid_token',
    ],
    [
      'a token for another room',
      () => ask(signed, `Bearer ${mintHs256(claimsFor('club-other', 'ada'), secretA)}`),
      401,
      'invalid_token',
    ],
    [
      'an expired token',
      () =>
        ask(
          signed,
          `Bearer ${mintHs256({ ...claimsFor(signed, 'ada'), exp: epochS(-60) }, secretA)}`,
        ),
      401,
      'invalid_token',
    ],
    ['a token that is not a JWT', () => ask(signed, 'Bearer not.a.jwt'), 401, 'invalid_token'],
    [
      'a wrong admin token in an open room',
      () => ask(open, 'Bearer wrong-admin'),
      403,
      'list_forbidden',
    ],
    ['another scheme', () => ask(signed, `Basic ${member}`), 403, 'list_forbidden'],
  ])('refuses %s', async (_what, request, status, code) => {
    const before = await figures(t.app, signed);
    const res = await request();
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(res.body).not.toContain('ada');
    expect(await figures(t.app, signed)).toEqual(before);
  });

  it('refuses the green dots to the same callers as the list', async () => {
    const res = await ask(signed, undefined, '?ids=ada');
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('list_forbidden');
  });

  it('lets members and the admin read, with the admin token anywhere', async () => {
    expect((await ask(signed, `Bearer ${member}`)).statusCode).toBe(200);
    expect((await ask(signed, `bearer ${adminToken}`)).statusCode).toBe(200);
    expect((await ask(open, `Bearer ${adminToken}`)).statusCode).toBe(200);
  });

  it('shows a viewer appearing offline exactly as one that never came, but in hidden and total', async () => {
    const dots = (ids: string) => ask(signed, `Bearer ${member}`, `?ids=${ids}`);
    const hidden = (await dots('hedy')).json();
    const absent = (await dots('nobody')).json();
    expect(hidden.online).toEqual([]);
    expect({ ...hidden, at: 0 }).toEqual({ ...absent, at: 0 });
    const page = (await ask(signed, `Bearer ${member}`)).json();
    expect(JSON.stringify(page.viewers)).not.toContain('hedy');
    expect(page).toMatchObject({ hidden: 1, total: 2 });
  });

  it('keeps the list private: no shared cache may keep it', async () => {
    const res = await ask(signed, `Bearer ${member}`);
    expect(res.headers['cache-control']).toMatch(/^private/);
    expect(res.headers.vary).toBe('Authorization');
  });
});
