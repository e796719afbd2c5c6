// Every way a page can send a heartbeat or a leave wrongly: the right status, a specific code,
// and no count changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAgent, countOf, heartbeat, openApp, type TestApp } from '../support/app.js';

const room = 'guarded';
const session = 'session-guard-1';
const ok = { room, session };

interface Case {
  name: string;
  payload: string;
  contentType?: string;
  status: number;
  code: string;
}

const json = (body: unknown) => JSON.stringify(body);

const cases: Case[] = [
  {
    name: 'an empty room id',
    payload: json({ ...ok, room: '' }),
    status: 400,
    code: 'invalid_room',
  },
  {
    name: 'a room id over 128 characters',
    payload: json({ ...ok, room: 'r'.repeat(129) }),
    status: 400,
    code: 'invalid_room',
  },
  {
    name: 'a room id with a space',
    payload: json({ ...ok, room: 'a b' }),
    status: 400,
    code: 'invalid_room',
  },
  {
    name: 'a room id with a slash',
    payload: json({ ...ok, room: 'a/b' }),
    status: 400,
    code: 'invalid_room',
  },
  {
    name: 'a room id with a non-ASCII letter',
    payload: json({ ...ok, room: 'café' }),
    status: 400,
    code: 'invalid_room',
  },
  {
    name: 'a room id that is not a string',
    payload: json({ ...ok, room: { a: 1 } }),
    status: 400,
    code: 'invalid_room',
  },
  {
    name: 'an empty session id',
    payload: json({ ...ok, session: '' }),
    status: 400,
    code: 'invalid_session',
  },
  {
    name: 'a session id under 8 characters',
    payload: json({ ...ok, session: 'short' }),
    status: 400,
    code: 'invalid_session',
  },
  {
    name: 'a session id over 128 characters',
    payload: json({ ...ok, session: 's'.repeat(129) }),
    status: 400,
    code: 'invalid_session',
  },
  {
    name: 'a session id with a forbidden character',
    payload: json({ ...ok, session: 'session#0001' }),
    status: 400,
    code: 'invalid_session',
  },
  {
    name: 'an empty viewer id',
    payload: json({ ...ok, viewer: '' }),
    status: 400,
    code: 'invalid_viewer',
  },
  {
    name: 'a viewer id with a forbidden character',
    payload: json({ ...ok, viewer: 'me & you' }),
    status: 400,
    code: 'invalid_viewer',
  },
  { name: 'a missing room', payload: json({ session }), status: 400, code: 'missing_field' },
  { name: 'a missing session', payload: json({ room }), status: 400, code: 'missing_field' },
  {
    name: 'a state other than visible or hidden',
    payload: json({ ...ok, state: 'away' }),
    status: 400,
    code: 'invalid_state',
  },
  {
    name: 'an entry over 64 characters',
    payload: json({ ...ok, entry: 'e'.repeat(65) }),
    status: 400,
    code: 'invalid_entry',
  },
  {
    name: 'a body that is not JSON',
    payload: '{"room": "guarded", session',
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'a text/plain body that is not JSON',
    payload: 'room=guarded',
    contentType: 'text/plain',
    status: 400,
    code: 'invalid_json',
  },
  { name: 'a JSON array', payload: json([ok]), status: 400, code: 'invalid_body' },
  { name: 'a JSON number', payload: '42', status: 400, code: 'invalid_body' },
  { name: 'JSON null', payload: 'null', status: 400, code: 'invalid_body' },
  { name: 'an empty body', payload: '', status: 400, code: 'invalid_body' },
  {
    name: 'a body over 2 KiB',
    payload: json({ ...ok, padding: 'x'.repeat(2100) }),
    status: 413,
    code: 'body_too_large',
  },
  {
    name: 'an XML body',
    payload: '<room/>',
    contentType: 'application/xml',
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'a form body',
    payload: 'room=guarded',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    code: 'unsupported_media_type',
  },
];

describe('bad input to the page routes', () => {
  let t: TestApp;
  // Every room with its counts and peak, without the reading time: any accepted request shows.
  const everything = async () =>
    (
      await t.app.store.listRooms({ limit: 1000, offset: 0, prefix: '', sort: 'sessions' })
    ).rooms.map(({ at: _at, ...room }) => room);
  beforeAll(async () => {
    t = await openApp();
    expect((await heartbeat(t.app, ok)).statusCode).toBe(200);
  });
  afterAll(() => t.close());

  for (const path of ['/v1/heartbeat', '/v1/leave']) {
    describe(path, () => {
      for (const c of cases) {
        // Leave has no viewer, state or entry: those fields are ignored there.
        if (path === '/v1/leave' && /viewer|state|entry/.test(c.name)) continue;
        it(`answers ${c.status} ${c.code} to ${c.name}, and counts nothing`, async () => {
          const before = await everything();
          expect(before).toContainEqual(expect.objectContaining({ room, sessions: 1 }));
          const res = await t.app.inject({
            method: 'POST',
            url: path,
            headers: {
              'content-type': c.contentType ?? 'application/json',
              'user-agent': browserAgent,
            },
            payload: c.payload,
          });
          expect(res.statusCode).toBe(c.status);
          const body = res.json();
          expect(body.error.code).toBe(c.code);
          expect(body.error.message).toEqual(expect.any(String));
          expect(body.error.message).not.toMatch(/at .*\.(js|ts):\d+/);
          expect(await everything()).toEqual(before);
        });
      }
    });
  }

  it('a leave with a bad body does not end a session that is online', async () => {
    expect((await heartbeat(t.app, { room: 'kept', session: 'session-kept-1' })).statusCode).toBe(
      200,
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/leave',
      headers: { 'content-type': 'application/json' },
      payload: json({ room: 'kept', session: 'short' }),
    });
    expect(res.json().error.code).toBe('invalid_session');
    expect((await countOf(t.app, 'kept')).sessions).toBe(1);
  });

  it('answers 404 not_found in the same error shape for an unknown route', async () => {
    for (const [method, url] of [
      ['GET', '/v2/nothing'],
      ['POST', '/v1/heartbeats'],
      ['DELETE', '/v1/heartbeat'],
    ] as const) {
      const res = await t.app.inject({ method, url });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
  });

  it('messages say what is allowed', async () => {
    const res = await heartbeat(t.app, { ...ok, room: 'a b' });
    expect(res.json().error.message).toBe('room must be 1-128 characters of A-Z a-z 0-9 . _ : - @');
  });
});
