// Bad questions to the online list: each gets its status and code, and changes nothing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, heartbeat, openApp, type TestApp } from '../support/app.js';
import { claimsFor, mintHs256, secretA } from '../support/tokens.js';
import { figures } from '../support/viewers.js';

describe('the online list refuses bad input', () => {
  let t: TestApp;
  const room = `club-${randomBytes(4).toString('hex')}`;
  const member = mintHs256(claimsFor(room, 'ada'), secretA);
  beforeAll(async () => {
    t = await openApp({ PRESENCE_SECRET: secretA, SIGNED_ROOMS: 'club-*' });
    const res = await heartbeat(t.app, { room, session: 'session-ada-0001', token: member });
    expect(res.statusCode).toBe(200);
  });
  afterAll(() => t.close());

  const ask = (path: string) =>
    t.app.inject({ url: path, headers: { authorization: `Bearer ${member}` } });
  const manyIds = Array.from({ length: 101 }, (_, i) => `v${i}`).join(',');
  const forged = Buffer.from('12|ada|x').toString('base64url');

  it.each([
    ['a limit of 0', `/v1/rooms/${room}/viewers?limit=0`, 'invalid_query'],
    ['a limit above 100', `/v1/rooms/${room}/viewers?limit=101`, 'invalid_query'],
    ['a limit that is not a number', `/v1/rooms/${room}/viewers?limit=ten`, 'invalid_query'],
    ['a cursor it never gave', `/v1/rooms/${room}/viewers?cursor=not-a-cursor`, 'invalid_cursor'],
    ['a cursor with a bad id', `/v1/rooms/${room}/viewers?cursor=${forged}`, 'invalid_cursor'],
    ['more than 100 ids', `/v1/rooms/${room}/viewers?ids=${manyIds}`, 'too_many_ids'],
    ['an id outside the alphabet', `/v1/rooms/${room}/viewers?ids=ada,bad%20id`, 'invalid_viewer'],
    ['an empty id', `/v1/rooms/${room}/viewers?ids=ada,,grace`, 'invalid_viewer'],
    [
      'ids and a cursor at once',
      `/v1/rooms/${room}/viewers?ids=ada&cursor=MTJ8YWRh`,
      'invalid_query',
    ],
    ['a room outside the alphabet', '/v1/rooms/bad%20room/viewers', 'invalid_room'],
  ])('answers 400 to %s', async (_what, path, code) => {
    const before = await figures(t.app, room);
    const res = await ask(path);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe(code);
    expect(res.json().error.message).toEqual(expect.any(String));
    expect(await figures(t.app, room)).toEqual(before);
    // The list itself is as it was.
    const list = await t.app.inject({
      url: `/v1/rooms/${room}/viewers`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(list.json()).toMatchObject({ viewers: [{ id: 'ada' }], total: 1, hidden: 0 });
  });
});
