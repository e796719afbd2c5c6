// The dashboard shows how concentrated each room is by client address, in a real browser on the real
// API: pages behind a proxy (TRUST_PROXY=1) beat from several addresses, one room mostly from one
// venue's address; the rooms list shows each room's busiest address as share and sessions, marks
// the concentrated room in words (not colour alone) with a sentence on hover, and leaves rooms
// spread over many addresses unmarked; the room view shows the same figures.
import { mkdir, readFile } from 'node:fs/promises';
import { AxeBuilder } from '@axe-core/playwright';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, browserAgent } from '../support/app.js';
import {
  browserAvailable,
  ensureClientBuilt,
  launchChromium,
  logIn,
  type RunningApi,
  startApi,
  waitFor,
} from '../support/browser.js';

/** A page open in a room, behind a client address. */
interface Tab {
  room: string;
  session: string;
  viewer: string;
  state: 'visible' | 'hidden';
  address: string;
}

const venue = '203.0.113.7';
const home = (i: number) => `198.51.100.${i}`;
const office = (i: number) => `192.0.2.${i}`;

/**
 * Tabs of a room from the given addresses: every fifth one a second tab of the viewer before it,
 * every fourth one in the background.
 */
const tabs = (room: string, addresses: string[], first = 0): Tab[] =>
  addresses.map((address, k) => {
    const i = first + k;
    const slug = room.replace(/[^A-Za-z0-9]/g, '-');
    return {
      room,
      session: `${slug}-tab-${i}`,
      viewer: `${slug}-viewer-${i % 5 === 4 ? i - 1 : i}`,
      state: i % 4 === 3 ? 'hidden' : 'visible',
      address,
    };
  });

const range = (n: number, from: number, address: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => address(from + i));

/**
 * An afternoon of rooms (at CONCENTRATION_MIN_SESSIONS=3, CONCENTRATION_SHARE=0.5):
 * - shop:black-friday, 24 sessions from 21 homes, at most 3 from one: 12.5 %, spread;
 * - launch-keynote, 18 sessions, 13 of them on the venue's Wi-Fi: 72.2 %, concentrated;
 * - forum:thread-4182, 6 sessions from 6 offices: 16.7 %;
 * - support:chat, 4 sessions, 2 from one office: 50 %, which is not more than half;
 * - docs:getting-started, 2 sessions from one home: 100 %, but under 3 sessions.
 */
const afternoon: Tab[] = [
  ...tabs('shop:black-friday', [...range(20, 1, home), home(1), home(1), home(2), home(21)]),
  ...tabs('launch-keynote', [...Array(13).fill(venue), ...range(5, 40, home)]),
  ...tabs('forum:thread-4182', range(6, 10, office)),
  ...tabs('support:chat', [office(20), office(20), office(21), home(60)]),
  ...tabs('docs:getting-started', [home(70), home(70)]),
];

/**
 * Pages that open later in the afternoon, round by round: shoppers from new homes, the keynote
 * filling up mostly from the venue, one more office in the forum thread now and then.
 */
const arrivals = (round: number): Tab[] => [
  ...tabs('shop:black-friday', [home(100 + round)], 24 + round),
  ...tabs('launch-keynote', [round % 3 === 2 ? home(80 + round) : venue], 18 + round),
  ...(round % 2 === 0 ? tabs('forum:thread-4182', [office(30 + round)], 6 + round / 2) : []),
];
const arrivalRounds = 6;

async function heartbeat(api: RunningApi, tab: Tab) {
  const res = await fetch(`${api.url}/v1/heartbeat`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': browserAgent,
      // The proxy in front of the API (TRUST_PROXY=1) says whom the page is behind.
      'x-forwarded-for': tab.address,
    },
    body: JSON.stringify({
      room: tab.room,
      session: tab.session,
      viewer: tab.viewer,
      state: tab.state,
    }),
  });
  expect(res.status).toBe(200);
}

/** The rooms list as shown: each row's room, sessions and busiest address, and its markers. */
const roomsShown = (page: Page) =>
  page.$$eval('#rooms tbody tr', (trs) =>
    trs.map((tr) => {
      const busiest = tr.querySelector<HTMLElement>('td.busiest')!;
      return {
        room: tr.querySelector('td a')!.textContent,
        sessions: tr.querySelectorAll('td')[1]!.textContent,
        busiest: busiest.textContent,
        marked: busiest.querySelector('.concentrated') !== null,
        /** The marker beside the room id, which only a phone shows. */
        markedOnPhone: tr.querySelector('td:first-child .concentrated') !== null,
        title: busiest.title,
      };
    }),
  );

describe.skipIf(!browserAvailable)('the dashboard on rooms concentrated by client address', () => {
  let api: RunningApi;
  let browser: Browser;
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  /** The tabs open now. */
  const online: Tab[] = [...afternoon];

  beforeAll(async () => {
    await ensureClientBuilt();
    api = await startApi({
      ADMIN_TOKEN: adminToken,
      TRUST_PROXY: '1',
      CONCENTRATION_SHARE: '0.5',
      CONCENTRATION_MIN_SESSIONS: '3',
    });
    await Promise.all(afternoon.map((tab) => heartbeat(api, tab)));
    // Visible tabs beat every 15 s; a hidden one stays online for 150 s on its first heartbeat.
    const visible = () => online.filter((tab) => tab.state === 'visible');
    keepAlive = setInterval(
      () => void Promise.all(visible().map((tab) => heartbeat(api, tab))).catch(() => undefined),
      15_000,
    );
    browser = await launchChromium();
    await mkdir('test-results', { recursive: true });
  }, 120_000);

  afterAll(async () => {
    clearInterval(keepAlive);
    await browser?.close();
    await api?.close();
  });

  it('shows each room’s busiest address as share and sessions, and marks only the concentrated room', async () => {
    const context = await browser.newContext({
      acceptDownloads: true,
      locale: 'en-US',
      viewport: { width: 1280, height: 720 },
    });
    const page = await context.newPage();
    await logIn(page, api, adminToken);
    const shown = await waitFor('the five rooms', async () => {
      const rows = await roomsShown(page);
      return rows.length === 5 ? rows : undefined;
    });
    expect(await page.textContent('#rooms thead th:nth-child(6)')).toBe('Busiest address');
    expect(shown.map((r) => r.markedOnPhone)).toEqual(shown.map((r) => r.marked));
    expect(await page.locator('#rooms td:first-child .concentrated').isVisible()).toBe(false);
    expect(
      shown.map(({ room, sessions, busiest, marked }) => [room, sessions, busiest, marked]),
    ).toEqual([
      ['shop:black-friday', '24', '12.5 % · 3', false],
      ['launch-keynote', '18', 'concentrated 72.2 % · 13', true],
      ['forum:thread-4182', '6', '16.7 % · 1', false],
      ['support:chat', '4', '50 % · 2', false],
      ['docs:getting-started', '2', '100 % · 2', false],
    ]);
    const keynote = shown[1]!;
    expect(keynote.title).toBe(
      "One client address holds 72.2 % of this room's sessions (13). The room counts as " +
        'concentrated: it has at least CONCENTRATION_MIN_SESSIONS sessions and one address ' +
        'holds more than CONCENTRATION_SHARE of them.',
    );
    expect(shown[0]!.title).toBe("One client address holds 12.5 % of this room's sessions (3).");
    // The marker is a word, set apart by a border as well as by its colours.
    const marker = page.locator('#rooms tbody tr:nth-child(2) td.busiest .concentrated');
    expect(await marker.textContent()).toBe('concentrated');
    expect(
      await marker.evaluate((el) => Number.parseFloat(getComputedStyle(el).borderTopWidth)),
    ).toBeGreaterThan(0);

    // The CSV is the page as shown.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#rooms-csv')]);
    const csv = parse(await readFile((await download.path())!, 'utf8')) as string[][];
    expect(csv[0]!.slice(6)).toEqual([
      'busiest_address_share_percent',
      'busiest_address_sessions',
      'busiest_address_concentrated',
    ]);
    expect(csv.slice(1).map((r) => [r[0], ...r.slice(6)])).toEqual([
      ['shop:black-friday', '12.5', '3', 'false'],
      ['launch-keynote', '72.2', '13', 'true'],
      ['forum:thread-4182', '16.7', '1', 'false'],
      ['support:chat', '50', '2', 'false'],
      ['docs:getting-started', '100', '2', 'false'],
    ]);

    const serious = (await new AxeBuilder({ page }).analyze()).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(serious).toEqual([]);

    // The room view shows the same figures for its room, with the same marker.
    await page.click('#rooms a:text-is("launch-keynote")');
    await page.locator('#room-view').waitFor({ state: 'visible' });
    await expect.poll(() => page.textContent('#busiest-share')).toBe('72.2 %');
    expect(await page.textContent('#busiest-sessions')).toBe('13 sessions concentrated');
    expect(await page.getAttribute('#busiest-card', 'title')).toBe(keynote.title);
    await page.screenshot({ path: 'test-results/dashboard-concentration-room.png' });
    await page.goto(`${api.url}/dashboard#room/${encodeURIComponent('shop:black-friday')}`);
    await expect.poll(() => page.textContent('#busiest-share')).toBe('12.5 %');
    expect(await page.textContent('#busiest-sessions')).toBe('3 sessions');
    expect(await page.locator('#busiest-card .concentrated').count()).toBe(0);
    // A room that is not live has no busiest address, though a live room's id starts with its id.
    const answered = page.waitForResponse((r) => r.url().includes('/v1/rooms?prefix=launch&'));
    await page.goto(`${api.url}/dashboard#room/launch`);
    const listed = (await (await answered).json()) as { rooms: { room: string }[] };
    expect(listed.rooms.map((r) => r.room)).toEqual(['launch-keynote']);
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
    expect(await page.textContent('#busiest-sessions')).toBe('not live');
    expect(await page.textContent('#busiest-share')).toBe('–');
    await context.close();
  }, 60_000);

  it('follows each room’s busiest address from poll to poll as pages arrive', async () => {
    const context = await browser.newContext({
      locale: 'en-US',
      viewport: { width: 1280, height: 720 },
    });
    const page = await context.newPage();
    await logIn(page, api, adminToken);
    await page.locator('#rooms tbody tr').first().waitFor();
    // A round of arrivals every half poll: each room's trend moves, and so do its figures.
    for (let round = 0; round < arrivalRounds; round++) {
      const arrived = arrivals(round);
      await Promise.all(arrived.map((tab) => heartbeat(api, tab)));
      online.push(...arrived);
      await new Promise((r) => setTimeout(r, 2_500));
    }
    const rows = () =>
      roomsShown(page).then((shown) =>
        shown.slice(0, 3).map(({ room, sessions, busiest }) => [room, sessions, busiest]),
      );
    await expect.poll(rows, { timeout: 10_000 }).toEqual([
      // 3 of 30 sessions; 17 of 24, still concentrated; 1 of 9.
      ['shop:black-friday', '30', '10 % · 3'],
      ['launch-keynote', '24', 'concentrated 70.8 % · 17'],
      ['forum:thread-4182', '9', '11.1 % · 1'],
    ]);
    const trend = await page.$eval(
      '#rooms tbody tr svg polyline',
      (l) => l.getAttribute('points')!.split(' ').length,
    );
    expect(trend).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: 'test-results/dashboard-concentration.png', fullPage: true });
    // The picture in docs/api.md, renewed on demand only, so a test run leaves the work tree as
    // it was.
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      await page.locator('#rooms-view').screenshot({ path: 'docs/dashboard-concentration.png' });
    }
    await context.close();
  }, 60_000);

  it('marks a concentrated room beside its id on a phone, where the column is hidden', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    await logIn(page, api, adminToken);
    const keynote = page.locator('#rooms tbody tr:nth-child(2)');
    await keynote.locator('td:first-child .concentrated').waitFor({ state: 'visible' });
    expect(await keynote.locator('td a').textContent()).toBe('launch-keynote');
    expect(await keynote.locator('td.busiest').isVisible()).toBe(false);
    expect(await page.locator('#rooms th:text-is("Busiest address")').isVisible()).toBe(false);
    expect(await page.locator('#rooms td:first-child .concentrated:visible').count()).toBe(1);
    // The room id keeps the width to be read on one line.
    const link = (await keynote.locator('td a').boundingBox())!;
    const lineHeight = await keynote
      .locator('td a')
      .evaluate((a) => Number.parseFloat(getComputedStyle(a).lineHeight));
    expect(link.height).toBeLessThan(lineHeight * 1.5);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({
      path: 'test-results/dashboard-concentration-phone.png',
      fullPage: true,
    });
    await context.close();
  });
});
