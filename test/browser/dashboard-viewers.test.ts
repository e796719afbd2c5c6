// Who is here, on the dashboard, in a real browser on the real API: a signed room's members by
// name (a name that looks like HTML shown as text), one who appears offline counted and never
// listed, tabs and background in words, "verified"; an open room "not verified", a nameless page
// by its id; a viewer who joins shown without a reload; conditional reads (304) only while the
// page shows; a crowd past the cap as its first 500 and "and N more"; a phone screen.
import { mkdir } from 'node:fs/promises';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, browserAgent } from '../support/app.js';
import {
  browserAvailable,
  ensureClientBuilt,
  launchChromium,
  logIn,
  type RunningApi,
  randomRoom,
  setVisibility,
  startApi,
  waitFor,
} from '../support/browser.js';
import { claimsFor, mintHs256, secretA } from '../support/tokens.js';

/** A name that, set as HTML, would run a script: the dashboard must show it as these characters. */
const scriptName = '<img src=x onerror=alert(1)>';

const club = randomRoom('club');
const lobby = randomRoom('lobby');
const crowd = randomRoom('crowd');

/** A page open in a room; in a signed room with its member's token. */
interface Tab {
  room: string;
  session: string;
  viewer?: string;
  state: 'visible' | 'hidden';
  token?: string;
}

const member = (sub: string, claims: Record<string, unknown>) =>
  mintHs256({ ...claimsFor(club, sub, 900), ...claims }, secretA, { kid: 'k1' });

/** The club: Ada in two tabs (one in the background), Mallory's name, Hedy appearing offline. */
const clubTabs: Tab[] = [
  { room: club, session: 'ada-tab-1', state: 'visible', token: member('ada', { name: 'Ada' }) },
  { room: club, session: 'ada-tab-2', state: 'hidden', token: member('ada', { name: 'Ada' }) },
  {
    room: club,
    session: 'mallory-tab-1',
    state: 'hidden',
    token: member('mallory', { name: scriptName }),
  },
  {
    room: club,
    session: 'hedy-tab-1',
    state: 'visible',
    token: member('hedy', { name: 'Hedy', listed: false }),
  },
];
/** Grace opens the club later, while the dashboard shows it. */
const grace: Tab = {
  room: club,
  session: 'grace-tab-1',
  state: 'visible',
  token: member('grace', { name: 'Grace Hopper' }),
};
/** An open room: one page names its viewer, the other names none. */
const lobbyTabs: Tab[] = [
  { room: lobby, session: 'lobby-tab-1', viewer: 'guest-42', state: 'visible' },
  { room: lobby, session: 'lobby-tab-2', state: 'visible' },
];

async function heartbeat(api: RunningApi, tab: Tab): Promise<void> {
  const { room, session, viewer, state, token } = tab;
  const res = await fetch(`${api.url}/v1/heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': browserAgent },
    body: JSON.stringify({ room, session, viewer, state, token }),
  });
  expect(res.status, await res.text()).toBe(200);
}

/** The table of who is here as shown, cell by cell. */
const rowsShown = (page: Page) =>
  page.$$eval('#viewers tbody tr', (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
  );

/** The rows' viewer, id, tabs and state: what does not move with the clock. */
const steady = (rows: string[][]) => rows.map((r) => [r[0], r[1], r[4], r[5]]);

const seriousViolations = async (page: Page) =>
  (await new AxeBuilder({ page }).analyze()).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);

describe.skipIf(!browserAvailable)('who is here, on the dashboard', () => {
  let api: RunningApi;
  let browser: Browser;
  let context: BrowserContext;
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  /** The tabs open now, kept online as pages keep themselves. */
  const online: Tab[] = [...clubTabs, ...lobbyTabs];

  beforeAll(async () => {
    await ensureClientBuilt();
    api = await startApi({
      ADMIN_TOKEN: adminToken,
      PRESENCE_SECRET: `k1:${secretA}`,
      SIGNED_ROOMS: 'club-*',
      // The API shares the test's process and two cores with a browser: seeding the crowd must
      // not be refused as overload, which test/faults/overload.test.ts is about.
      SHED_EVENT_LOOP_DELAY_MS: '0',
    });
    // One after another, so that the list's order (by since) is the order they came in.
    for (const tab of online) await heartbeat(api, tab);
    // Visible tabs beat every 15 s, background ones every 60 s (and stay online 150 s).
    let ticks = 0;
    keepAlive = setInterval(() => {
      ticks++;
      const due = online.filter((tab) => tab.state === 'visible' || ticks % 4 === 0);
      void Promise.all(due.map((tab) => heartbeat(api, tab))).catch(() => undefined);
    }, 15_000);
    browser = await launchChromium();
    await mkdir('test-results', { recursive: true });
  }, 120_000);

  afterAll(async () => {
    clearInterval(keepAlive);
    await browser?.close();
    await api?.close();
  });

  async function openRoom(room: string, options: Parameters<Browser['newContext']>[0] = {}) {
    context = await browser.newContext({ locale: 'en-US', ...options });
    const page = await context.newPage();
    await logIn(page, api, adminToken);
    await page.locator('#rooms-view').waitFor({ state: 'visible' });
    await page.goto(`${api.url}/dashboard#room/${encodeURIComponent(room)}`);
    await page.locator('#room-view').waitFor({ state: 'visible' });
    return page;
  }

  const viewerReads = (room: string) =>
    api.received.filter((r) => r.path === `/v1/rooms/${room}/viewers`);

  it('lists a signed room’s members by name, as text, with who appears offline and the total', async () => {
    const dialogs: string[] = [];
    const errors: string[] = [];
    const page = await openRoom(club, { viewport: { width: 1280, height: 900 } });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await expect
      .poll(() => rowsShown(page).then(steady))
      .toEqual([
        ['Ada', 'ada', '2', 'visible'],
        [scriptName, 'mallory', '1', 'in the background'],
      ]);
    expect(await page.textContent('#viewers-summary')).toBe(
      '3 online: 2 listed, 1 appears offline.',
    );
    await expect.poll(() => page.textContent('#live-viewers')).toBe('3');
    expect(await page.textContent('#viewers-trust')).toBe('verified');
    expect(await page.isVisible('#viewers-trust')).toBe(true);
    expect(await page.textContent('#viewers-trust-note')).toBe(
      "A signed room: the site's backend vouched for each id.",
    );
    expect(await page.isHidden('#viewers-more')).toBe(true);
    // The name is its characters: no image made of it, no script run by it.
    expect(await page.locator('#room-view img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    // Hedy is counted and nowhere named.
    const text = (await page.textContent('#room-view')) ?? '';
    expect(text).not.toMatch(/hedy/i);
    // How long each has been here, and since when (the store's time, on hover in UTC).
    const [ada] = await rowsShown(page);
    expect(ada![2]).toMatch(/^\d+ (s|min)$/);
    // The time of day; the date too after midnight here.
    expect(ada![3]).toMatch(/^(\d\d:\d\d:\d\d|[A-Z][a-z]{2} \d+, \d{4}, \d\d:\d\d) [AP]M$/);
    expect(await page.getAttribute('#viewers tbody td:nth-child(4)', 'title')).toMatch(/ UTC$/);
    // A real table, named, with column headers.
    const table = page.getByRole('table', { name: 'Listed viewers, longest online first' });
    expect(await table.count()).toBe(1);
    expect(
      await page.$$eval('#viewers th', (ths) => ths.map((th) => th.getAttribute('scope'))),
    ).toEqual(Array(6).fill('col'));
    expect(await seriousViolations(page)).toEqual([]);

    // The list is read again at the count's pace, conditionally: an unchanged list is a 304.
    const revalidated = await waitFor('a 304 for the unchanged list', () =>
      viewerReads(club).find((r) => r.ifNoneMatch !== undefined && r.status === 304),
    );
    expect(revalidated.ifNoneMatch).toMatch(/^W\/"/);
    expect(viewerReads(club)[0]!.ifNoneMatch).toBeUndefined();

    // Grace joins: she is shown without a reload, last (the latest to arrive).
    await page.evaluate(() => {
      (window as unknown as { stayed: boolean }).stayed = true;
    });
    await heartbeat(api, grace);
    online.push(grace);
    await expect
      .poll(() => rowsShown(page).then((rows) => rows.map((r) => r[0])), { timeout: 10_000 })
      .toEqual(['Ada', scriptName, 'Grace Hopper']);
    expect(await page.textContent('#viewers-summary')).toBe(
      '4 online: 3 listed, 1 appears offline.',
    );
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(
      true,
    );
    expect(errors).toEqual([]);
    await page.screenshot({ path: 'test-results/dashboard-viewers.png', fullPage: true });
    await context.close();
  });

  it('says an open room’s ids are not verified, and shows a nameless page by its id', async () => {
    const page = await openRoom(lobby, { viewport: { width: 1280, height: 900 } });
    await expect
      .poll(() => rowsShown(page).then(steady))
      .toEqual([
        ['guest-42', 'guest-42', '1', 'visible'],
        ['~lobby-tab-2', '~lobby-tab-2', '1', 'visible'],
      ]);
    expect(await page.textContent('#viewers-summary')).toBe('2 online, all listed.');
    expect(await page.textContent('#viewers-trust')).toBe('not verified');
    expect(await page.textContent('#viewers-trust-note')).toBe(
      'An open room: ids are whatever pages claimed.',
    );
    // Said in a word set apart by a border, not by its colour alone.
    expect(
      await page.$eval('#viewers-trust', (el) =>
        Number.parseFloat(getComputedStyle(el).borderTopWidth),
      ),
    ).toBeGreaterThan(0);
    await context.close();
  });

  it('reads the list only while the page shows, and at once when it shows again', async () => {
    const page = await openRoom(club, { viewport: { width: 1280, height: 900 } });
    await expect.poll(() => rowsShown(page).then((rows) => rows.length)).toBe(3);
    await setVisibility(page, 'hidden');
    const hiddenAt = Date.now();
    // Someone arrives while nobody looks.
    const late: Tab = {
      room: club,
      session: 'lin-tab-1',
      state: 'visible',
      token: member('lin', { name: 'Lin' }),
    };
    await heartbeat(api, late);
    online.push(late);
    await new Promise((r) => setTimeout(r, 6_000));
    // A read already under way when the page hid may land; none starts after it.
    expect(viewerReads(club).filter((r) => r.at > hiddenAt + 1_000)).toEqual([]);
    expect(await rowsShown(page).then((rows) => rows.length)).toBe(3);
    const shownAt = Date.now();
    await setVisibility(page, 'visible');
    const read = await waitFor('a read right after the page shows', () =>
      viewerReads(club).find((r) => r.at >= shownAt),
    );
    expect(read.at - shownAt).toBeLessThan(1_000);
    await expect.poll(() => rowsShown(page).then((rows) => rows.at(-1)?.[0])).toBe('Lin');
    await context.close();
  });

  it('lists the first 500 of a crowd, page after page, and says how many more', async () => {
    // 507 background tabs, each its own viewer, online for 150 s on one heartbeat.
    const tabs: Tab[] = Array.from({ length: 507 }, (_, i) => ({
      room: crowd,
      session: `crowd-tab-${i}`,
      viewer: `fan-${String(i).padStart(3, '0')}`,
      state: 'hidden',
    }));
    for (let i = 0; i < tabs.length; i += 20) {
      await Promise.all(tabs.slice(i, i + 20).map((tab) => heartbeat(api, tab)));
    }
    const page = await openRoom(crowd, { viewport: { width: 1280, height: 900 } });
    await expect
      .poll(() => page.textContent('#viewers-more'), { timeout: 10_000 })
      .toBe('…and 7 more (the table lists the first 500, longest online first).');
    expect(await page.textContent('#viewers-summary')).toBe('507 online, all listed.');
    const rows = await rowsShown(page);
    expect(rows).toHaveLength(500);
    expect(new Set(rows.map((r) => r[1])).size).toBe(500);
    // Five pages of 100, each after the one before; nothing of the last 7 asked for.
    const firstRound = viewerReads(crowd).slice(0, 5);
    expect(firstRound.every((r) => r.status === 200)).toBe(true);
    const asked = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((e) => new URL(e.name))
        .filter((u) => u.pathname.endsWith('/viewers'))
        .slice(0, 6)
        .map((u) => [u.searchParams.get('limit'), u.searchParams.has('cursor')]),
    );
    expect(asked.slice(0, 5)).toEqual([
      ['100', false],
      ['100', true],
      ['100', true],
      ['100', true],
      ['100', true],
    ]);
    // The 501st page's start is never asked for: the next read starts again at the first page.
    if (asked[5]) expect(asked[5]).toEqual(['100', false]);
    // A long list scrolls within its box, under its header, not down the whole page.
    const box = await page.$eval('#viewers-wrap', (wrap) => ({
      height: wrap.clientHeight,
      scroll: wrap.scrollHeight,
    }));
    expect(box.scroll).toBeGreaterThan(box.height);
    await context.close();
  }, 60_000);

  it('fits a phone screen, and has no serious accessibility problem there', async () => {
    const page = await openRoom(club, {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    await expect.poll(() => rowsShown(page).then((rows) => rows.length)).toBeGreaterThan(2);
    // The viewer, how long, tabs and state; the id and the time of day are for wider screens.
    const visibleHeaders = await page.$$eval('#viewers th', (ths) =>
      ths.filter((th) => th.getClientRects().length > 0).map((th) => th.textContent),
    );
    expect(visibleHeaders).toEqual(['Viewer', 'Online for', 'Tabs', 'State']);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator('#viewers').scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'test-results/dashboard-viewers-phone.png' });
    await context.close();
  });
});
