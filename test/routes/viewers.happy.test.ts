// Who is here: the online list of a signed room as its members read it, paged, conditional, with
// names and appearing offline from the tokens, and the green dots of ?ids=.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, countOf, heartbeat, openApp, type TestApp } from '../support/app.js';
import { claimsFor, mintHs256, secretA } from '../support/tokens.js';

const session = () => `session-${randomBytes(6).toString('hex')}`;
const uniqueRoom = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

interface ListBody {
  room: string;
  viewers: {
    id: string;
    name: string | null;
    since: string;
    visible: boolean;
    tabs: number;
    verified: boolean;
  }[];
  hidden: number;
  total: number;
  next_cursor: string | null;
  at: string;
}

describe.each([
  { store: 'embedded', redis: false },
  { store: 'redis', redis: true },
])('the online list on the $store store', ({ redis }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp({ PRESENCE_SECRET: secretA, SIGNED_ROOMS: 'club-*' }, { redis });
  });
  afterAll(() => t.close());

  const token = (room: string, sub: string, extra: Record<string, unknown> = {}) =>
    mintHs256({ ...claimsFor(room, sub), ...extra }, secretA);
  const beat = async (room: string, id: string, tok: string, state = 'visible') => {
    const res = await heartbeat(t.app, { room, session: id, token: tok, state });
    expect(res.statusCode).toBe(200);
  };
  const list = (room: string, auth: string, query = '', headers: Record<string, string> = {}) =>
    t.app.inject({
      url: `/v1/rooms/${room}/viewers${query}`,
      headers: { authorization: `Bearer ${auth}`, ...headers },
    });

  it('lists the listed viewers by since, counts the hidden one, and total is the count', async () => {
    const room = uniqueRoom('club-three');
    await beat(room, session(), token(room, 'ada', { name: 'Ada Lovelace' }));
    await new Promise((r) => setTimeout(r, 5));
    await beat(room, session(), token(room, 'grace', { name: 'Grace' }), 'hidden');
    await beat(room, session(), token(room, 'hedy', { name: 'Hedy', listed: false }));
    const res = await list(room, token(room, 'ada'));
    expect(res.statusCode).toBe(200);
    const body = res.json() as ListBody;
    expect(body.viewers.map((v) => [v.id, v.name, v.visible, v.tabs, v.verified])).toEqual([
      ['ada', 'Ada Lovelace', true, 1, true],
      ['grace', 'Grace', false, 1, true],
    ]);
    expect(Date.parse(body.viewers[0]!.since)).toBeLessThan(Date.parse(body.viewers[1]!.since));
    expect(body).toMatchObject({ room, hidden: 1, total: 3, next_cursor: null });
    expect((await countOf(t.app, room)).viewers).toBe(body.total);
  });

  it('counts a viewer with two tabs once, with both tabs, visible when one of them is', async () => {
    const room = uniqueRoom('club-tabs');
    const ada = token(room, 'ada');
    await beat(room, session(), ada, 'hidden');
    await beat(room, session(), ada, 'visible');
    const body = (await list(room, ada)).json() as ListBody;
    expect(body.viewers).toMatchObject([{ id: 'ada', tabs: 2, visible: true }]);
    expect(body.total).toBe(1);
  });

  it('pages with the cursor: every viewer once, in order, whatever the page size', async () => {
    const room = uniqueRoom('club-pages');
    const ids = ['v-a', 'v-b', 'v-c', 'v-d', 'v-e'];
    for (const id of ids) await beat(room, session(), token(room, id));
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const body = (await list(room, token(room, 'v-a'), query)).json() as ListBody;
      expect(body.viewers.length).toBeLessThanOrEqual(2);
      seen.push(...body.viewers.map((v) => v.id));
      cursor = body.next_cursor;
      if (!cursor) break;
    }
    // Heartbeats of one instant share a since: the ids order them then.
    expect(seen).toEqual(ids);
  });

  it('answers 304 to its own ETag while the list is unchanged, with the poll interval', async () => {
    const room = uniqueRoom('club-etag');
    const ada = token(room, 'ada');
    await beat(room, session(), ada);
    const first = await list(room, ada);
    expect(first.headers['headcount-poll-interval']).toMatch(/^\d+$/);
    expect(first.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
    expect(first.headers.vary).toBe('Authorization');
    const etag = first.headers.etag as string;
    expect((await list(room, ada, '', { 'if-none-match': etag })).statusCode).toBe(304);
    await beat(room, session(), token(room, 'grace'));
    const changed = await list(room, ada, '', { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('answers which of some viewers are online, in the order asked, hidden ones as offline', async () => {
    const room = uniqueRoom('club-dots');
    await beat(room, session(), token(room, 'ada'));
    await beat(room, session(), token(room, 'grace'));
    await beat(room, session(), token(room, 'hedy', { listed: false }));
    const res = await list(room, token(room, 'ada'), '?ids=grace,nobody,hedy,ada,grace');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ online: ['grace', 'ada'], at: expect.any(String) });
  });

  it('takes the latest token: a viewer appears offline, changes its name, and comes back', async () => {
    const room = uniqueRoom('club-latest');
    const [tab1, tab2] = [session(), session()];
    await beat(room, tab1, token(room, 'ada', { name: 'Ada' }));
    const reader = token(room, 'reader');
    const names = async () =>
      ((await list(room, reader)).json() as ListBody).viewers.map((v) => v.name);
    expect(await names()).toEqual(['Ada']);
    // The other tab's newer token says appear offline: its heartbeat decides, as it is the latest.
    await beat(room, tab2, token(room, 'ada', { name: 'Ada', listed: false }));
    expect(await names()).toEqual([]);
    expect(((await list(room, reader)).json() as ListBody).hidden).toBe(1);
    await beat(room, tab1, token(room, 'ada', { name: 'Countess' }), 'hidden');
    expect(await names()).toEqual(['Countess']);
    expect((await countOf(t.app, room)).viewers).toBe(1);
  });

  it('lets the admin read a signed room, and an open one with every entry unverified', async () => {
    const signed = uniqueRoom('club-admin');
    await beat(signed, session(), token(signed, 'ada'));
    const open = uniqueRoom('open');
    const res = await heartbeat(t.app, { room: open, session: session(), viewer: 'claimed-id' });
    expect(res.statusCode).toBe(200);
    expect(((await list(signed, adminToken)).json() as ListBody).viewers).toMatchObject([
      { id: 'ada', verified: true },
    ]);
    const body = (await list(open, adminToken)).json() as ListBody;
    expect(body.viewers).toMatchObject([{ id: 'claimed-id', name: null, verified: false }]);
    expect(body.total).toBe(1);
  });

  it('answers an empty or unknown room with an empty list, not 404', async () => {
    const room = uniqueRoom('club-empty');
    const res = await list(room, token(room, 'ada'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ viewers: [], hidden: 0, total: 0, next_cursor: null });
  });
});
