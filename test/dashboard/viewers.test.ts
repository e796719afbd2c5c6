// Who is here, without a browser: the list read page after page up to the cap, the words the
// section says, the table's cells, and the answer's fields held to what the route really sends.
// The browser suite (test/browser/dashboard-viewers.test.ts) checks what is shown.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnlineViewer, ViewersAnswer } from '../../src/dashboard/answers.js';
import {
  maxViewersShown,
  moreInWords,
  readViewers,
  trustInWords,
  verifiedOf,
  viewersInWords,
  viewersModel,
  viewersPerPage,
} from '../../src/dashboard/viewers.js';
import { maxViewersPerPage } from '../../src/routes/viewers.js';
import { adminToken, heartbeat, openApp, type TestApp } from '../support/app.js';
import { claimsFor, mintHs256, secretA } from '../support/tokens.js';

const t0 = Date.parse('2026-11-24T13:00:00Z');

const viewer = (i: number, extra: Partial<OnlineViewer> = {}): OnlineViewer => ({
  id: `v${String(i).padStart(4, '0')}`,
  name: null,
  since: new Date(t0 + i * 1000).toISOString(),
  visible: true,
  tabs: 1,
  verified: true,
  ...extra,
});

/** A room of `listed` listed viewers and `hidden` hidden ones, read as the API pages it. */
function room(listed: number, hidden = 0) {
  const all = Array.from({ length: listed }, (_, i) => viewer(i));
  const asked: { cursor: string | null; limit: number }[] = [];
  const readPage = async (cursor: string | null, limit: number): Promise<ViewersAnswer> => {
    asked.push({ cursor, limit });
    const from = cursor === null ? 0 : Number(cursor);
    const viewers = all.slice(from, from + limit);
    const next = from + limit < all.length ? String(from + limit) : null;
    return {
      room: 'r',
      viewers,
      hidden,
      total: listed + hidden,
      next_cursor: next,
      at: new Date(t0 + 3_600_000).toISOString(),
    };
  };
  return { readPage, asked };
}

describe('reading who is here', () => {
  it('reads one page for a small room, and says nothing more', async () => {
    const { readPage, asked } = room(3, 1);
    const reading = await readViewers(readPage);
    expect(asked).toEqual([{ cursor: null, limit: 100 }]);
    expect(reading).toMatchObject({ total: 4, hidden: 1, more: 0 });
    expect(reading.viewers.map((v) => v.id)).toEqual(['v0000', 'v0001', 'v0002']);
  });

  it('follows next_cursor to the last page, every viewer once', async () => {
    const { readPage, asked } = room(250);
    const reading = await readViewers(readPage);
    expect(asked.map((a) => a.cursor)).toEqual([null, '100', '200']);
    expect(new Set(reading.viewers.map((v) => v.id)).size).toBe(250);
    expect(reading.more).toBe(0);
  });

  it('stops at the cap and counts the listed viewers past it', async () => {
    const { readPage, asked } = room(537, 12);
    const reading = await readViewers(readPage);
    expect(asked).toHaveLength(5);
    expect(reading.viewers).toHaveLength(500);
    expect(reading).toMatchObject({ total: 549, hidden: 12, more: 37 });
    expect(moreInWords(reading.more)).toBe(
      '…and 37 more (the table lists the first 500, longest online first).',
    );
  });

  it('asks no more than the cap leaves, when the cap is not a whole number of pages', async () => {
    const { readPage, asked } = room(300);
    const reading = await readViewers(readPage, 150);
    expect(asked.map((a) => a.limit)).toEqual([100, 50]);
    expect(reading).toMatchObject({ more: 150 });
  });

  it('says a cut list has more even when the pages disagree on the figures', async () => {
    const { readPage } = room(120);
    const reading = await readViewers(async (cursor, limit) => {
      const page = await readPage(cursor, limit);
      return { ...page, total: 100 };
    }, 100);
    expect(reading.more).toBe(1);
  });
});

describe('what the section says', () => {
  const figures = (total: number, hidden: number, viewers: OnlineViewer[] = []) => ({
    total,
    hidden,
    viewers,
    more: 0,
  });

  it('gives the total and how many appear offline, in words', () => {
    expect(viewersInWords(figures(0, 0))).toBe('Nobody is online.');
    expect(viewersInWords(figures(1, 0))).toBe('1 online, listed.');
    expect(viewersInWords(figures(3, 0))).toBe('3 online, all listed.');
    expect(viewersInWords(figures(3, 1))).toBe('3 online: 2 listed, 1 appears offline.');
    expect(viewersInWords(figures(5, 2))).toBe('5 online: 3 listed, 2 appear offline.');
    expect(viewersInWords(figures(2, 2))).toBe('2 online, all appearing offline.');
    expect(viewersInWords(figures(1, 1))).toBe('1 online, appearing offline.');
  });

  it('says whether the ids are verified only when someone listed says so', () => {
    expect(verifiedOf(figures(2, 2))).toBeNull();
    expect(verifiedOf(figures(1, 0, [viewer(0)]))).toBe(true);
    expect(verifiedOf(figures(1, 0, [viewer(0, { verified: false })]))).toBe(false);
    expect(trustInWords(true).marker).toBe('verified');
    expect(trustInWords(false)).toEqual({
      marker: 'not verified',
      sentence: 'An open room: ids are whatever pages claimed.',
    });
  });

  it('shows a name, or the id where there is none, how long and since when, tabs and state', () => {
    const nowMs = t0 + 2 * 3_600_000 + 5 * 60_000;
    const model = viewersModel(
      [
        viewer(0, { name: '<b>Ada</b>', tabs: 2 }),
        viewer(30, { visible: false, since: new Date(nowMs - 45_000).toISOString() }),
      ],
      nowMs,
    );
    expect(model.columns.map((c) => c.label)).toEqual([
      'Viewer',
      'Id',
      'Online for',
      'Since',
      'Tabs',
      'State',
    ]);
    const [ada, other] = model.rows.map((row) => row.map((cell) => cell.text));
    expect(ada![0]).toBe('<b>Ada</b>');
    expect(ada!.slice(1, 3)).toEqual(['v0000', '2 h 05 min']);
    expect(ada!.slice(4)).toEqual(['2', 'visible']);
    expect(other!.slice(0, 3)).toEqual(['v0030', 'v0030', '45 s']);
    expect(other![5]).toBe('in the background');
    expect(model.rows[0]![3]!.title).toBe('2026-11-24 13:00 UTC');
    // A stretch that began on an earlier day gives its date, not only a time of day.
    const days = viewersModel([viewer(0)], t0 + 3 * 86_400_000);
    expect(days.rows[0]![2]!.text).toBe('3 d 0 h');
    expect(days.rows[0]![3]!.text.length).toBeGreaterThan(
      viewersModel([viewer(0)], t0 + 60_000).rows[0]![3]!.text.length,
    );
  });
});

describe('the answer the dashboard reads', () => {
  it('asks for pages as large as the route gives, and the README says the page and the cap', async () => {
    expect(viewersPerPage).toBe(maxViewersPerPage);
    const readme = await readFile(
      new URL('../../src/dashboard/README.md', import.meta.url),
      'utf8',
    );
    const prose = readme.replace(/\s+/g, ' ');
    expect(prose).toContain(`GET /v1/rooms/:room/viewers?limit=${viewersPerPage}&cursor`);
    expect(prose).toContain(`up to the first ${maxViewersShown} viewers`);
  });

  let api: TestApp;
  const signedRoom = 'club-answer';
  const token = mintHs256({ ...claimsFor(signedRoom, 'ada'), name: 'Ada' }, secretA, {
    kid: 'k1',
  });

  beforeAll(async () => {
    api = await openApp({
      PRESENCE_SECRET: `k1:${secretA}`,
      SIGNED_ROOMS: 'club-*',
    });
  });
  afterAll(() => api?.close());

  it('has the fields the route sends, and no other', async () => {
    const beat = await heartbeat(api.app, { room: signedRoom, session: 'ada-tab-1', token });
    expect(beat.statusCode).toBe(200);
    const res = await api.app.inject({
      url: `/v1/rooms/${signedRoom}/viewers`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.statusCode).toBe(200);
    const answer = res.json() as ViewersAnswer;
    // Every field the dashboard's type names, in a list the compiler holds to the type.
    const listFields: Record<keyof ViewersAnswer, true> = {
      room: true,
      viewers: true,
      hidden: true,
      total: true,
      next_cursor: true,
      at: true,
    };
    const viewerFields: Record<keyof OnlineViewer, true> = {
      id: true,
      name: true,
      since: true,
      visible: true,
      tabs: true,
      verified: true,
    };
    expect(Object.keys(answer).sort()).toEqual(Object.keys(listFields).sort());
    expect(Object.keys(answer.viewers[0]!).sort()).toEqual(Object.keys(viewerFields).sort());
    expect(answer.viewers[0]).toMatchObject({ id: 'ada', name: 'Ada', verified: true, tabs: 1 });
  });
});
