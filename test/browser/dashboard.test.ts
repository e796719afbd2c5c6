// The admin dashboard in a real browser: the token asked once and kept, active rooms with their
// live counts, a room's live count and peak, and a chart of its archived history by step.
import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { adminToken, browserAgent } from '../support/app.js';
import {
  browserAvailable,
  ensureClientBuilt,
  humanContext,
  launchChromium,
  type RunningApi,
  randomRoom,
  startApi,
  waitFor,
} from '../support/browser.js';
import { closeTestDatabase, openTestDatabase } from '../support/databases.js';
import { type Minute, seedSnapshots } from '../support/seed.js';

const stage = randomRoom('main-stage');
const side = randomRoom('side-room');

/** Six hours of one-minute snapshots ending now: an evening that rises to a peak and ebbs. */
function evening(): Minute[] {
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  return Array.from({ length: 360 }, (_, i) => {
    const start = new Date(now - (360 - i) * 60_000).toISOString();
    const sessions = Math.round(40 + 35 * Math.sin((i / 360) * Math.PI) + (i % 7));
    return { start, sessions, viewers: Math.round(sessions * 0.8), peakSessions: sessions + 3 };
  });
}

async function heartbeat(api: RunningApi, room: string, session: string, viewer: string) {
  const res = await fetch(`${api.url}/v1/heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': browserAgent },
    body: JSON.stringify({ room, session, viewer, state: 'visible' }),
  });
  expect(res.status).toBe(200);
}

/** Non-transparent pixels drawn on the chart's canvas. */
const drawnPixels = (page: Page) =>
  page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#chart canvas');
    if (!canvas || canvas.width === 0) return 0;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let drawn = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) drawn++;
    return drawn;
  });

async function logIn(page: Page, api: RunningApi, token: string): Promise<void> {
  await page.goto(`${api.url}/dashboard`);
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.fill('#token', token);
  await page.click('button[type="submit"]');
}

describe.skipIf(!browserAvailable)('the dashboard', () => {
  let database: Database;
  let api: RunningApi;
  let browser: Browser;

  beforeAll(async () => {
    await ensureClientBuilt();
    database = await openTestDatabase('pglite');
    await seedSnapshots(database, stage, evening());
    api = await startApi({ ADMIN_TOKEN: adminToken }, { database });
    await heartbeat(api, stage, 'stage-tab-1', 'ann');
    await heartbeat(api, stage, 'stage-tab-2', 'ann');
    await heartbeat(api, stage, 'stage-tab-3', 'bob');
    await heartbeat(api, side, 'side-tab-1', 'cy');
    browser = await launchChromium();
    await mkdir('test-results', { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await closeTestDatabase(database);
  });

  it('asks for the token, refuses a wrong one, and keeps a right one across reloads', async () => {
    const context = await humanContext(browser);
    const page = await context.newPage();
    await logIn(page, api, 'not-the-admin-token-at-all');
    await expect.poll(() => page.textContent('#login-error')).toContain('refused');

    await page.fill('#token', adminToken);
    await page.click('button[type="submit"]');
    await page.locator('#rooms-view').waitFor({ state: 'visible' });
    await page.reload();
    await page.locator('#rooms-view').waitFor({ state: 'visible' });
    expect(await page.isHidden('#login')).toBe(true);
    await context.close();
  });

  it('lists active rooms, largest first, then draws a room’s history chart by step', async () => {
    const context = await humanContext(browser);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    const historySteps: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('/history')) historySteps.push(url.searchParams.get('step') ?? '');
    });
    await page.setViewportSize({ width: 1280, height: 860 });
    await logIn(page, api, adminToken);

    const rows = await waitFor('both rooms to be listed', async () => {
      const cells = await page.$$eval('#rooms tbody tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
      return cells.length === 2 ? cells : undefined;
    });
    expect(rows).toEqual([
      [stage, '3', '2', '3', '3'],
      [side, '1', '1', '1', '1'],
    ]);

    await page.click(`#rooms a:text-is("${stage}")`);
    await page.locator('#room-view').waitFor({ state: 'visible' });
    await expect.poll(() => page.textContent('#live-sessions')).toBe('3');
    expect(await page.textContent('#live-viewers')).toBe('2');
    expect(await page.textContent('#live-peak')).toBe('3');
    await expect.poll(() => drawnPixels(page)).toBeGreaterThan(2_000);
    expect(await page.textContent('#chart')).toContain('Peak sessions');
    expect(await page.textContent('#chart-note')).toMatch(/^\d+ points, one per 5m/);
    await page.screenshot({ path: 'test-results/dashboard.png', fullPage: true });

    await page.click('.steps button[data-step="1h"]');
    await expect.poll(() => page.textContent('#chart-note')).toMatch(/one per 1h/);
    expect(await page.getAttribute('.steps button[data-step="1h"]', 'aria-pressed')).toBe('true');
    await expect.poll(() => drawnPixels(page)).toBeGreaterThan(2_000);
    expect(historySteps).toEqual(['5m', '1h']);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    await logIn(page, api, adminToken);
    await page.locator('#rooms tbody tr').first().waitFor();
    await page.goto(`${api.url}/dashboard#room/${encodeURIComponent(stage)}`);
    await expect.poll(() => drawnPixels(page)).toBeGreaterThan(2_000);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: 'test-results/dashboard-phone.png', fullPage: true });
    await context.close();
  });
});
