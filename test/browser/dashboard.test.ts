// The admin dashboard in a real browser, on the real API, over an archive filled by the real
// snapshot job: the token asked once and kept; active rooms searched, sorted and paged, each with
// a trend; a room's live count moving on the same axis as its history; the picked range as the
// axis for 0, 1 and many archived points; joins by entry, live periods, two periods compared and
// the audience heat map, each with a CSV of exactly what it shows; a phone screen; accessibility.
import { mkdir, readFile } from 'node:fs/promises';
import { AxeBuilder } from '@axe-core/playwright';
import { parse } from 'csv-parse/sync';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { adminToken, browserAgent } from '../support/app.js';
import { archiveMinutes } from '../support/archive-seed.js';
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
import { closeTestDatabase, openTestDatabase } from '../support/databases.js';

const stage = randomRoom('main-stage');
const single = randomRoom('one-minute');
const pair = randomRoom('two-minutes');
const never = randomRoom('never-archived');
const side = randomRoom('side-room');
const pagedPrefix = randomRoom('paged');
const minuteMs = 60_000;

/**
 * Six hours of the stage ending two minutes ago: an evening that rises to a peak and ebbs, with
 * half an hour in the middle when nobody was there (two live periods and a gap in the archive).
 */
function evening(): (number | null)[] {
  return Array.from({ length: 360 }, (_, i) =>
    i >= 150 && i < 180 ? null : Math.round(8 + 20 * Math.sin((i / 360) * Math.PI) + (i % 5)),
  );
}

async function heartbeat(api: RunningApi, room: string, session: string, viewer: string) {
  const res = await fetch(`${api.url}/v1/heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': browserAgent },
    body: JSON.stringify({ room, session, viewer, state: 'visible' }),
  });
  expect(res.status).toBe(200);
}

/** Non-transparent pixels drawn on a chart's canvas. */
const drawnPixels = (page: Page, selector = '#chart') =>
  page.evaluate((sel) => {
    const canvas = document.querySelector<HTMLCanvasElement>(`${sel} canvas`);
    if (!canvas || canvas.width === 0) return 0;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let drawn = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) drawn++;
    return drawn;
  }, selector);

/** The time axis the chart drew, in epoch ms. */
const axis = async (page: Page) => {
  const root = page.locator('#chart .uplot');
  return {
    fromMs: Number(await root.getAttribute('data-x-from')) * 1000,
    toMs: Number(await root.getAttribute('data-x-to')) * 1000,
  };
};

const tableText = (page: Page, selector: string) =>
  page.$$eval(`${selector} tr`, (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent ?? '')),
  );

/** Clicks a view's "Download CSV" and parses the file the browser saved. */
async function downloadCsv(page: Page, what: string): Promise<string[][]> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click(`button.csv[data-csv="${what}"]`),
  ]);
  const text = await readFile((await download.path())!, 'utf8');
  expect(text.endsWith('\r\n')).toBe(true);
  return parse(text, { relax_column_count: false }) as string[][];
}

async function openRoom(page: Page, api: RunningApi, room: string): Promise<void> {
  await page.goto(`${api.url}/dashboard#room/${encodeURIComponent(room)}`);
  await page.locator('#room-view').waitFor({ state: 'visible' });
}

describe.skipIf(!browserAvailable)('the dashboard', () => {
  let database: Database;
  let api: RunningApi;
  let browser: Browser;
  let context: BrowserContext;
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  const eveningStartMs = Math.floor(Date.now() / minuteMs) * minuteMs - 362 * minuteMs;

  beforeAll(async () => {
    await ensureClientBuilt();
    database = await openTestDatabase('pglite');
    await archiveMinutes(database, stage, eveningStartMs, evening());
    // One minute, still live at the only snapshot: exactly one archived point.
    await archiveMinutes(database, single, eveningStartMs + 300 * minuteMs, [2], { close: false });
    await archiveMinutes(database, pair, eveningStartMs + 200 * minuteMs, [3, 4], { close: false });
    api = await startApi({ ADMIN_TOKEN: adminToken }, { database });
    // Three tabs on the stage (two of ann's), one on the side room, beating as pages do.
    const beat = () =>
      Promise.all([
        heartbeat(api, stage, 'stage-tab-1', 'ann'),
        heartbeat(api, stage, 'stage-tab-2', 'ann'),
        heartbeat(api, stage, 'stage-tab-3', 'bob'),
        heartbeat(api, side, 'side-tab-1', 'cy'),
      ]);
    await beat();
    keepAlive = setInterval(() => void beat().catch(() => undefined), 15_000);
    browser = await launchChromium();
    await mkdir('test-results', { recursive: true });
  }, 120_000);

  afterAll(async () => {
    clearInterval(keepAlive);
    await browser?.close();
    await api?.close();
    await closeTestDatabase(database);
  });

  async function loggedIn(options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
    context = await browser.newContext({ acceptDownloads: true, locale: 'en-US', ...options });
    const page = await context.newPage();
    await logIn(page, api, adminToken);
    await page.locator('#rooms-view').waitFor({ state: 'visible' });
    return page;
  }

  it('asks for the token, refuses a wrong one, and keeps a right one across reloads', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await logIn(page, api, 'not-the-admin-token-at-all');
    await expect.poll(() => page.textContent('#login-error')).toContain('refused');

    await page.fill('#token', adminToken);
    await page.click('button[type="submit"]');
    await page.locator('#rooms-view').waitFor({ state: 'visible' });
    await page.reload();
    await page.locator('#rooms-view').waitFor({ state: 'visible' });
    expect(await page.isHidden('#login')).toBe(true);
    await ctx.close();
  });

  it('lists active rooms largest first, each with its trend, and finds, sorts and pages them', async () => {
    const paged = Array.from(
      { length: 30 },
      (_, i) => `${pagedPrefix}-${String(i).padStart(2, '0')}`,
    );
    for (const [i, room] of paged.entries())
      await heartbeat(api, room, `paged-tab-${i}-0`, `p${i}`);
    const page = await loggedIn({ viewport: { width: 1280, height: 900 } });
    const requested: URL[] = [];
    page.on('request', (request) => requested.push(new URL(request.url())));

    const top = await waitFor('the largest rooms first', async () => {
      const rows = await tableText(page, '#rooms tbody');
      return rows.length > 0 && rows[0]![0] === stage ? rows : undefined;
    });
    // All three tabs beat from one address (this machine's): the whole room, but too few
    // sessions to be called concentrated.
    expect(top[0]).toEqual([stage, '3', '2', '3', '3', '100 % · 3', '']);
    expect(await page.locator('#rooms tbody tr').first().locator('svg polyline').count()).toBe(1);

    // Each change asks the API for one page (never the whole list): the table follows.
    const names = async () => (await tableText(page, '#rooms tbody')).map((r) => r[0]);
    await page.fill('#room-search', pagedPrefix);
    await expect.poll(() => page.textContent('#page-info')).toBe('1–25 of 30');
    await page.selectOption('#room-sort', 'room');
    await expect.poll(names).toEqual(paged.slice(0, 25));
    await page.click('#page-next');
    await expect.poll(names).toEqual(paged.slice(25));
    expect(await page.textContent('#page-info')).toBe('26–30 of 30');
    expect(await page.isDisabled('#page-next')).toBe(true);

    await page.fill('#room-search', `${pagedPrefix}-1`);
    await expect.poll(names).toEqual(paged.slice(10, 20));
    // The CSV is the page as shown.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#rooms-csv')]);
    const roomsCsv = parse(await readFile((await download.path())!, 'utf8')) as string[][];
    expect(roomsCsv[0]).toEqual([
      'room',
      'sessions',
      'viewers',
      'visible',
      'live_peak_sessions',
      'at_utc',
      'busiest_address_share_percent',
      'busiest_address_sessions',
      'busiest_address_concentrated',
    ]);
    expect(roomsCsv.slice(1).map((r) => r.slice(0, 5))).toEqual(
      (await tableText(page, '#rooms tbody')).map((r) => r.slice(0, 5)),
    );
    await page.fill('#room-search', 'nothing-starts-like-this');
    await expect.poll(() => page.textContent('#page-info')).toContain('No active room starts with');
    const pages = requested.filter((url) => url.pathname === '/v1/rooms');
    expect(pages.every((url) => url.searchParams.get('limit') === '25')).toBe(true);
    expect(pages.map((url) => url.searchParams.get('offset'))).toContain('25');

    // The trend grows with every poll of the list.
    await page.fill('#room-search', stage);
    await expect.poll(names).toEqual([stage]);
    const points = () =>
      page.$eval(
        '#rooms tbody tr svg polyline',
        (l) => l.getAttribute('points')!.split(' ').length,
      );
    const before = await points();
    await expect.poll(points, { timeout: 15_000 }).toBeGreaterThan(before);
    await page.screenshot({ path: 'test-results/dashboard-rooms.png', fullPage: true });
    await context.close();
  });

  it('draws many archived points on the picked range, with the gap, the peaks and the live count', async () => {
    const errors: string[] = [];
    const page = await loggedIn({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => errors.push(error.message));
    const historySteps: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('/history')) historySteps.push(url.searchParams.get('step') ?? '');
    });
    await page.click(`#rooms a:text-is("${stage}")`);
    await page.locator('#room-view').waitFor({ state: 'visible' });
    await page.click('[data-range="day"]');
    await expect.poll(() => page.textContent('#live-sessions')).toBe('3');
    expect(await page.textContent('#live-viewers')).toBe('2');
    expect(await page.textContent('#live-peak')).toBe('3');
    await expect.poll(() => drawnPixels(page)).toBeGreaterThan(5_000);
    await expect
      .poll(() => page.textContent('#chart-note'))
      .toMatch(/^\d+ archived points, one per 1m/);

    // The axis is the last day, not the six hours that have data.
    const day = await axis(page);
    expect(day.toMs - day.fromMs).toBeGreaterThan(86_400_000 - 10_000);
    expect(Math.abs(day.toMs - Date.now())).toBeLessThan(30_000);
    expect(await page.textContent('#chart')).toContain('Peak sessions');
    await page.screenshot({ path: 'test-results/dashboard-room.png', fullPage: true });
    // The README's picture of the room view, renewed on demand only, so a test run leaves the
    // work tree as it was.
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      await page.locator('#room-view').screenshot({ path: 'docs/dashboard-room.png' });
    }

    // The CSV is the chart: the gap as empty cells, every archived bucket, the live samples.
    const csv = await downloadCsv(page, 'timeline');
    expect(csv[0]).toEqual([
      'at_utc',
      'sessions_avg',
      'viewers_avg',
      'peak_sessions',
      'live_sessions',
      'live_viewers',
      'live_visible',
      'live_period_peak',
    ]);
    const archived = csv.slice(1).filter((r) => r[1] !== '');
    expect(archived.length).toBe(Number((await page.textContent('#chart-note'))!.split(' ')[0]));
    const gapRow = csv.slice(1).find((r) => r[1] === '' && r[4] === '' && r[3] === '');
    expect(gapRow).toBeDefined();
    const peaks = csv.slice(1).filter((r) => r[3] !== '');
    expect(peaks.length).toBeGreaterThan(10);
    for (const peak of peaks) expect(Number(peak[3])).toBeGreaterThan(0);
    expect(csv.slice(1).some((r) => r[4] === '3')).toBe(true);

    await page.click('[data-range="week"]');
    await expect.poll(() => page.textContent('#chart-note')).toMatch(/one per 1h/);
    expect(await page.getAttribute('[data-range="week"]', 'aria-pressed')).toBe('true');
    await expect
      .poll(async () => {
        const a = await axis(page);
        return Math.round((a.toMs - a.fromMs) / 86_400_000);
      })
      .toBe(7);
    expect(historySteps).toContain('1m');
    expect(historySteps).toContain('1h');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('draws one archived point on the picked range, not on an axis of its own', async () => {
    const page = await loggedIn({ viewport: { width: 1280, height: 900 } });
    await openRoom(page, api, single);
    await page.click('[data-range="day"]');
    await expect
      .poll(() => page.textContent('#chart-note'))
      .toMatch(/^1 archived point, one per 1m/);
    const day = await axis(page);
    expect(day.toMs - day.fromMs).toBeGreaterThan(86_400_000 - 10_000);
    expect(day.toMs - day.fromMs).toBeLessThan(86_400_000 + 10_000);
    await expect.poll(() => drawnPixels(page)).toBeGreaterThan(500);
    const csv = await downloadCsv(page, 'timeline');
    expect(csv.slice(1).filter((r) => r[1] !== '')).toHaveLength(1);
    expect(csv.slice(1).find((r) => r[1] !== '')![1]).toBe('2');

    // Custom range: the two hours around the point.
    const pointMs = eveningStartMs + 300 * minuteMs;
    await page.click('[data-range="custom"]');
    await page.fill('#custom-from', localInput(pointMs - 3_600_000));
    await page.fill('#custom-to', localInput(pointMs + 3_600_000));
    await page.click('#custom-range button[type="submit"]');
    await expect
      .poll(() => page.textContent('#chart-note'))
      .toMatch(/^1 archived point, one per 1m/);
    const custom = await axis(page);
    expect(custom.fromMs).toBe(Math.floor((pointMs - 3_600_000) / minuteMs) * minuteMs);
    expect(custom.toMs - custom.fromMs).toBe(2 * 3_600_000);

    expect(await tableText(page, '#periods tbody')).toHaveLength(1);
    expect(await tableText(page, '#entries tbody')).toEqual([['newsletter', '2', '100 %']]);
    await page.screenshot({ path: 'test-results/dashboard-one-point.png', fullPage: true });
    await context.close();
  });

  it('draws two archived points as two points joined, on the picked range', async () => {
    const page = await loggedIn({ viewport: { width: 1280, height: 900 } });
    await openRoom(page, api, pair);
    await page.click('[data-range="day"]');
    await expect
      .poll(() => page.textContent('#chart-note'))
      .toMatch(/^2 archived points, one per 1m/);
    const day = await axis(page);
    expect(Math.round((day.toMs - day.fromMs) / 3_600_000)).toBe(24);
    await expect.poll(() => drawnPixels(page)).toBeGreaterThan(500);
    const csv = await downloadCsv(page, 'timeline');
    const archived = csv.slice(1).filter((r) => r[1] !== '');
    expect(archived.map((r) => [r[0], r[1]])).toEqual([
      // Buckets start on the minute (the first period starts at the first heartbeat, at :10).
      [new Date(eveningStartMs + 200 * minuteMs).toISOString(), '3'],
      [new Date(eveningStartMs + 201 * minuteMs).toISOString(), '4'],
    ]);
    await context.close();
  });

  it('says so where nothing was archived, with the axis still the picked range', async () => {
    const page = await loggedIn({ viewport: { width: 1280, height: 900 } });
    await openRoom(page, api, never);
    await page.click('[data-range="hour"]');
    await expect
      .poll(() => page.textContent('#chart-note'))
      .toMatch(/^Nothing archived in this range/);
    const hour = await axis(page);
    expect(Math.round((hour.toMs - hour.fromMs) / 60_000)).toBe(60);
    await expect
      .poll(() => page.textContent('#periods-note'))
      .toBe('No live period in this range.');
    expect(await page.textContent('#entries-note')).toBe('No joins with an entry in this range.');
    expect(await tableText(page, '#entries tbody')).toEqual([]);
    const csv = await downloadCsv(page, 'entries');
    expect(csv).toEqual([['entry', 'joins', 'share_percent']]);
    await page.screenshot({ path: 'test-results/dashboard-empty.png', fullPage: true });
    await context.close();
  });

  it('moves the live trend between two polls, and marks the live period’s peak', async () => {
    const room = randomRoom('live');
    await heartbeat(api, room, 'live-tab-1', 'ann');
    const page = await loggedIn({ viewport: { width: 1280, height: 900 } });
    await openRoom(page, api, room);
    await page.click('[data-range="hour"]');
    await expect.poll(() => page.textContent('#live-sessions')).toBe('1');
    await heartbeat(api, room, 'live-tab-2', 'bob');
    await heartbeat(api, room, 'live-tab-3', 'cy');
    await expect.poll(() => page.textContent('#live-sessions'), { timeout: 10_000 }).toBe('3');
    const csv = await downloadCsv(page, 'timeline');
    const live = csv.slice(1).filter((r) => r[4] !== '');
    expect(live.map((r) => r[4])).toContain('1');
    expect(live.at(-1)![4]).toBe('3');
    expect(live.at(-1)![6]).toBe('3');
    // Sampled at the polling resolution: the samples are about two seconds apart.
    const times = live.map((r) => Date.parse(r[0]!));
    for (let i = 1; i < times.length; i++) {
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1_500);
    }
    const peak = csv.slice(1).filter((r) => r[7] !== '');
    expect(peak.map((r) => r[7])).toEqual(['3']);
    await context.close();
  });

  it('answers the operations questions over the range, each with the CSV of what it shows', async () => {
    const page = await loggedIn({
      viewport: { width: 1280, height: 900 },
      timezoneId: 'Asia/Tokyo',
    });
    await openRoom(page, api, stage);
    await page.click('[data-range="day"]');

    // Hovering the chart tells the time in the viewer's zone and in UTC: the same instant.
    await expect.poll(() => drawnPixels(page)).toBeGreaterThan(5_000);
    const over = page.locator('#chart .u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
    const hovered = await page.textContent('#chart .u-legend .u-series:first-child .u-value');
    const [, local, utc] = /^(.+) \((\d{4}-\d\d-\d\d \d\d:\d\d) UTC\)$/.exec(hovered ?? '')!;
    // Both to the minute (the UTC part has no seconds).
    const toMinute = (text: string) => text.replace(/:\d\d ([AP]M)$/, ' $1');
    const inTokyo = new Date(Date.parse(`${utc!.replace(' ', 'T')}Z`)).toLocaleString('en-US', {
      timeZone: 'Asia/Tokyo',
    });
    expect(toMinute(local!)).toBe(toMinute(inTokyo));

    // Live periods: the two of the evening, newest first, in the viewer's zone with UTC on hover.
    const periods = await waitFor('the live periods', async () => {
      const rows = await tableText(page, '#periods tbody');
      return rows.length === 2 ? rows : undefined;
    });
    const periodsCsv = await downloadCsv(page, 'periods');
    expect(periodsCsv[0]).toEqual([
      'started_at',
      'duration_s',
      'peak_sessions',
      'peak_sessions_at',
      'joins',
      'unique_viewers_estimate',
    ]);
    expect(periodsCsv).toHaveLength(3);
    const tokyo = new Intl.DateTimeFormat('en-US', {
      timeZone: 'Asia/Tokyo',
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    });
    for (const [i, row] of periodsCsv.slice(1).entries()) {
      const shown = periods[i]!;
      expect(shown[0]).toBe(tokyo.format(Date.parse(row[0]!)));
      expect(shown[2]).toBe(row[2]);
      expect(shown[4]).toBe(row[4]);
      expect(shown[5]).toBe(row[5]);
      expect(Number(row[1])).toBeGreaterThan(0);
    }
    // The later period started after the half hour with nobody there.
    expect(Date.parse(periodsCsv[1]![0]!) - Date.parse(periodsCsv[2]![0]!)).toBeGreaterThan(
      150 * minuteMs,
    );
    const title = await page.getAttribute('#periods tbody tr td', 'title');
    expect(title).toBe(`${periodsCsv[1]![0]!.slice(0, 16).replace('T', ' ')} UTC`);

    // Joins by entry: most first, and the CSV is the table.
    const entries = await tableText(page, '#entries tbody');
    expect(entries.map((r) => r[0])).toEqual(['newsletter', 'social', 'direct']);
    const entriesCsv = await downloadCsv(page, 'entries');
    expect(entriesCsv.slice(1).map((r) => [r[0], r[1]])).toEqual(entries.map((r) => [r[0], r[1]]));

    // Heat map: 7 days x 24 hours, the CSV cell for cell.
    const heat = await tableText(page, '#heatmap tbody');
    expect(heat).toHaveLength(7);
    expect(heat[0]).toHaveLength(25);
    const heatCsv = await downloadCsv(page, 'heatmap');
    expect(heatCsv.slice(1)).toEqual(heat);
    expect(heat.flat().filter((v) => Number(v) > 0).length).toBeGreaterThan(4);
    // At 1 280 px the whole week fits: the last hour's column lies inside the heat map's box,
    // which has nothing to scroll sideways.
    const fit = await page.$eval('#heatmap', (table) => {
      const wrap = table.parentElement!;
      const box = wrap.getBoundingClientRect();
      const inner = {
        left: box.left + wrap.clientLeft,
        right: box.left + wrap.clientLeft + wrap.clientWidth,
      };
      const last = [...table.querySelectorAll('tr')].map((tr) =>
        tr.lastElementChild!.getBoundingClientRect(),
      );
      return {
        cells: last.length,
        outside: last.filter((r) => r.left < inner.left || r.right > inner.right + 0.5).length,
        hidden: wrap.scrollWidth - wrap.clientWidth,
        lastRight: Math.max(...last.map((r) => r.right)),
        innerRight: inner.right,
      };
    });
    expect(fit.cells).toBe(8);
    expect(fit, JSON.stringify(fit)).toMatchObject({ outside: 0 });
    expect(fit.hidden).toBeLessThanOrEqual(0);

    // Two periods compared, aligned by time since start.
    await page.click('#periods tbody tr:nth-child(1) input[type="checkbox"]');
    await page.click('#periods tbody tr:nth-child(2) input[type="checkbox"]');
    await page.locator('#compare').waitFor({ state: 'visible' });
    await expect.poll(() => drawnPixels(page, '#compare-chart')).toBeGreaterThan(2_000);
    const compareCsv = await downloadCsv(page, 'compare');
    expect(compareCsv[0]).toEqual([
      'minutes_since_start',
      'period_a_sessions_avg',
      'period_b_sessions_avg',
    ]);
    expect(compareCsv[1]![0]).toBe('0');
    expect(compareCsv.slice(1).filter((r) => r[1] !== '' && r[2] !== '').length).toBeGreaterThan(
      60,
    );
    await page.screenshot({ path: 'test-results/dashboard-questions.png', fullPage: true });
    await context.close();
  });

  it('stops a room’s polls when it is left, and polls it once when it is opened again', async () => {
    const page = await loggedIn({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const counts: number[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === `/v1/rooms/${stage}/count`) counts.push(Date.now());
    });
    // In and out twice, by the page's own links: each visit mounts the view anew.
    for (let visit = 0; visit < 2; visit++) {
      await page.click(`#rooms a:text-is("${stage}")`);
      await expect.poll(() => page.textContent('#live-sessions')).toBe('3');
      await page.click('a.back');
      await page.locator('#rooms-view').waitFor({ state: 'visible' });
    }
    // The count is polled every 2 s: a room left, its poll stopped, asks nothing in 2.5 s.
    const leftAt = Date.now();
    await new Promise((r) => setTimeout(r, 2_500));
    expect(counts.filter((t) => t > leftAt)).toEqual([]);
    // A third visit polls once every 2 s, not once per visit: at most 3 counts in 4.5 s.
    await page.click(`#rooms a:text-is("${stage}")`);
    await expect.poll(() => page.textContent('#live-sessions')).toBe('3');
    const openedAt = Date.now();
    await new Promise((r) => setTimeout(r, 4_500));
    expect(counts.filter((t) => t > openedAt).length).toBeLessThanOrEqual(3);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('polls less in a background tab, and at once when it shows again', async () => {
    const page = await loggedIn({ viewport: { width: 1280, height: 900 } });
    await openRoom(page, api, stage);
    await expect.poll(() => page.textContent('#live-sessions')).toBe('3');
    const counts = () =>
      api.received.filter((r) => r.path === `/v1/rooms/${stage}/count`).map((r) => r.at);
    await setVisibility(page, 'hidden');
    const hiddenAt = Date.now();
    await new Promise((r) => setTimeout(r, 9_000));
    // The poll already due when the tab hid (at most 2 s later) may still land; after it, nothing
    // for 30 s, where a visible tab would have asked three times or more.
    expect(counts().filter((t) => t > hiddenAt + 4_000)).toEqual([]);
    const shownAt = Date.now();
    await setVisibility(page, 'visible');
    await waitFor('a count right after the tab shows', () =>
      counts().some((t) => t >= shownAt) ? true : undefined,
    );
    expect(counts().find((t) => t >= shownAt)! - shownAt).toBeLessThan(1_000);
    await context.close();
  });

  it('waits as long as Retry-After says when the API refuses, then polls again', async () => {
    // An API of its own whose per-address limit the page reaches as it opens a room (its files,
    // the rooms, the count and four archive reads): 10 requests per 10 s.
    const limited = await startApi(
      { ADMIN_TOKEN: adminToken, RATE_LIMIT_MAX: '10', RATE_LIMIT_WINDOW_S: '10' },
      { database },
    );
    try {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await logIn(page, limited, adminToken);
      await page.goto(`${limited.url}/dashboard#room/${encodeURIComponent(stage)}`);
      const counts = () =>
        limited.received.filter(
          (r) => r.path === `/v1/rooms/${stage}/count` && r.status !== undefined,
        );
      // Pairs each refused count with the count the page asked for next.
      const retried = await waitFor(
        'a refused count and the next one',
        () => {
          const all = counts();
          const pairs = all.flatMap((r, i) =>
            r.status === 429 && all[i + 1] ? [{ refused: r, next: all[i + 1]! }] : [],
          );
          return pairs.length >= 1 ? pairs : undefined;
        },
        25_000,
      );
      for (const { refused, next } of retried) {
        expect(refused.retryAfterS).toBeGreaterThan(0);
        expect(next.at - refused.at).toBeGreaterThanOrEqual(refused.retryAfterS! * 1000 - 150);
      }
      // And after the wait, the count is read again.
      const last = retried.at(-1)!.next;
      expect([200, 304]).toContain(last.status);
      await ctx.close();
    } finally {
      await limited.close();
    }
  }, 60_000);

  it('fits a phone screen without sideways scrolling, and has no serious accessibility problem', async () => {
    const page = await loggedIn({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    await page.locator('#rooms tbody tr').first().waitFor();
    const serious = async () =>
      (await new AxeBuilder({ page }).analyze()).violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(await serious()).toEqual([]);
    const overflow = () =>
      page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: 'test-results/dashboard-phone-rooms.png', fullPage: true });

    await openRoom(page, api, stage);
    await expect.poll(() => drawnPixels(page)).toBeGreaterThan(2_000);
    await waitFor('the live periods', async () =>
      (await tableText(page, '#periods tbody')).length > 0 ? true : undefined,
    );
    expect(await overflow()).toBeLessThanOrEqual(0);
    expect(await serious()).toEqual([]);
    await page.screenshot({ path: 'test-results/dashboard-phone.png', fullPage: true });
    await context.close();
  });
});

/** An <input type="datetime-local"> value for a time, in the page's zone (the machine's here). */
function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}
