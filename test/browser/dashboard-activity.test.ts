// What the room is doing, on the dashboard, in a real browser on the real API over an archive:
// a room whose comments follow its viewers 4 minutes later and one whose activity is its own.
// The sentence finds the 4-minute lag with a high r in the first and says the second did not move
// with viewers; the activity chart sits beneath the viewers chart on the same axis with the same
// cursor; "per 100 viewers" redraws it; a range under 30 minutes is not enough data.
import { mkdir } from 'node:fs/promises';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bestLag } from '../../src/dashboard/correlation.js';
import { localInputValue } from '../../src/dashboard/ranges.js';
import type { Database } from '../../src/db/client.js';
import { adminToken } from '../support/app.js';
import { seedActivityRows, seedSnapshotRows } from '../support/archive-seed.js';
import {
  browserAvailable,
  collectErrors,
  ensureClientBuilt,
  launchChromium,
  logIn,
  type RunningApi,
  randomRoom,
  startApi,
} from '../support/browser.js';
import { closeTestDatabase, openTestDatabase } from '../support/databases.js';

const minuteMs = 60_000;
const minutes = 90;
const lagMin = 4;

/** A varied viewers curve over 90 minutes (23 to 82): a slow swell, a faster wobble, a rise. */
const viewers = Array.from({ length: minutes }, (_, t) =>
  Math.round(40 + 25 * Math.sin(t / 7) + 10 * Math.sin(t / 2.3) + t / 4),
);
/** Comments: half the viewers of 4 minutes before, one more now and then; reactions a fifth. */
const following = viewers.map((_, t): Record<string, number> => {
  const before = viewers[t - lagMin];
  if (before === undefined) return {};
  return {
    comment: Math.round(0.5 * before) + ((t * 7) % 5 === 0 ? 1 : 0),
    reaction: Math.round(before / 5),
  };
});
/** Activity of its own: a quick alternation that no lag of the viewers curve matches. */
const independent = viewers.map((_, t) => ({ comment: 6 + 4 * (t % 2) + ((t * 5) % 3) }));

const follows = randomRoom('follows');
const ownPace = randomRoom('own-pace');

const sum = (kinds: Record<string, number>) => Object.values(kinds).reduce((a, b) => a + b, 0);

describe.skipIf(!browserAvailable)('what the room is doing, beside its viewers', () => {
  let database: Database;
  let api: RunningApi;
  let browser: Browser;
  let startMs = 0;

  beforeAll(async () => {
    // The seeding means what it says: the pure arithmetic finds the lag and the lack of one.
    expect(bestLag(viewers, following.map(sum))).toMatchObject({ kind: 'fit', lagMin });
    const own = bestLag(viewers, independent.map(sum));
    expect(own.kind === 'fit' && Math.abs(own.r)).toBeLessThan(0.3);

    await ensureClientBuilt();
    database = await openTestDatabase('pglite');
    // 90 minutes ending two minutes ago: all of them in the last day (and the last 90 minutes).
    startMs = Math.floor(Date.now() / minuteMs) * minuteMs - (minutes + 2) * minuteMs;
    // Two sessions a viewer, so that each minute's viewers are exactly the curve.
    const sessions = viewers.map((v) => 2 * v);
    for (const [room, activity] of [
      [follows, following],
      [ownPace, independent],
    ] as const) {
      expect(await seedSnapshotRows(database, room, startMs, sessions)).toBeGreaterThanOrEqual(
        minutes,
      );
      expect(await seedActivityRows(database, room, startMs, activity)).toBeGreaterThanOrEqual(
        minutes - lagMin,
      );
    }
    api = await startApi({ ADMIN_TOKEN: adminToken }, { database });
    browser = await launchChromium();
    await mkdir('test-results', { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await closeTestDatabase(database);
  });

  async function openRoom(page: Page, room: string): Promise<void> {
    await page.goto(`${api.url}/dashboard#room/${encodeURIComponent(room)}`);
    await page.locator('#room-view').waitFor({ state: 'visible' });
    await page.click('[data-range="day"]');
    await expect
      .poll(
        async () =>
          `${await page.getAttribute('#activity-sentence', 'data-state')} (status: ${await page.textContent('#status')})`,
        { timeout: 45_000 },
      )
      .toMatch(/^fit /);
  }

  it('finds comments following viewers by 4 minutes, beneath the viewers chart', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await logIn(page, api, adminToken);
    await openRoom(page, follows);

    const sentence = page.locator('#activity-sentence');
    expect(await sentence.getAttribute('data-lag')).toBe(String(lagMin));
    expect(Number(await sentence.getAttribute('data-r'))).toBeGreaterThan(0.95);
    expect(await sentence.textContent()).toMatch(
      /^Activity followed viewers by 4 minutes \(r = (0\.9\d|1\.00) over \d\d minutes\)\. Activity (followed|led|moved|did not move)[^.]* joins/,
    );

    // Beneath the viewers chart, as wide, on the same axis.
    const viewersChart = page.locator('#chart .uplot');
    const activityChart = page.locator('#activity-chart .uplot');
    await activityChart.waitFor();
    const above = (await viewersChart.boundingBox())!;
    const below = (await activityChart.boundingBox())!;
    expect(below.y).toBeGreaterThanOrEqual(above.y + above.height);
    expect(Math.abs(below.width - above.width)).toBeLessThanOrEqual(1);
    for (const end of ['data-x-from', 'data-x-to']) {
      expect(await activityChart.getAttribute(end)).toBe(await viewersChart.getAttribute(end));
    }
    // One series per kind, largest first.
    const labels = await page.locator('#activity-chart .u-legend .u-series th').allTextContents();
    expect(labels.map((l) => l.trim())).toEqual(['Time', 'comment', 'reaction']);

    // One cursor: hovering a minute of the viewers chart shows that minute's comments below.
    const over = (await page.locator('#chart .u-over').boundingBox())!;
    await page.mouse.move(over.x + over.width * 0.98, over.y + over.height / 2);
    const comments = page.locator('#activity-chart .u-legend .u-series').nth(1).locator('.u-value');
    await expect.poll(() => comments.textContent(), { timeout: 10_000 }).toMatch(/^\d+$/);
    await page.screenshot({ path: 'test-results/dashboard-activity.png', fullPage: true });

    // Per 100 viewers: comments ÷ viewers × 100, about 50 where the curve is slow.
    await page.check('#activity-per100');
    await expect
      .poll(() => page.textContent('#activity-note'), { timeout: 10_000 })
      .toMatch(/per 100 viewers/);
    await page.mouse.move(over.x + over.width * 0.98 - 2, over.y + over.height / 2);
    await expect
      .poll(async () => Number(await comments.textContent()), { timeout: 10_000 })
      .toBeGreaterThan(20);
    expect(Number(await comments.textContent())).toBeLessThan(100);

    // One kind at a time: reactions follow by the same lag.
    await page.selectOption('#activity-kind', 'reaction');
    await expect
      .poll(() => sentence.textContent(), { timeout: 10_000 })
      .toMatch(/^Reaction followed viewers by 4 minutes/);

    const axe = await new AxeBuilder({ page }).include('#room-view').analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual(
      [],
    );
    // A 503 is the API asking to come back later on a busy machine, which the page does (its
    // Retry-After); anything else failing is a fault.
    const failed = api.received.filter((r) => (r.status ?? 0) >= 500 && r.status !== 503);
    const unexpected = errors.filter((e) => !/status of 503 \(Service Unavailable\)/.test(e));
    expect({ unexpected, failed }).toEqual({ unexpected: [], failed: [] });
    await context.close();
  }, 120_000);

  it('says activity of its own did not move with viewers', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await logIn(page, api, adminToken);
    await openRoom(page, ownPace);
    const sentence = page.locator('#activity-sentence');
    expect(Math.abs(Number(await sentence.getAttribute('data-r')))).toBeLessThan(0.3);
    expect(await sentence.textContent()).toMatch(
      /^Activity did not move with viewers \(\|r\| < 0\.3 at every lag from −10 to \+10 minutes; strongest r = −?0\.[0-2]\d at [+-]?\d+ min\)\./,
    );
    await page.close();
  }, 90_000);

  it('says a range under 30 minutes is not enough data', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await logIn(page, api, adminToken);
    await openRoom(page, follows);
    await page.click('[data-range="custom"]');
    // 20 minutes in the middle of the archive, in the browser's zone (the same as this process's).
    await page.fill('#custom-from', localInputValue(startMs + 30 * minuteMs));
    await page.fill('#custom-to', localInputValue(startMs + 50 * minuteMs));
    await page.click('#custom-range button[type="submit"]');
    await expect
      .poll(() => page.getAttribute('#activity-sentence', 'data-state'), { timeout: 45_000 })
      .toBe('not-enough');
    expect(await page.textContent('#activity-sentence')).toMatch(
      /^Activity against viewers: not enough data \(20 minutes with both; 30 needed\)\. Activity against joins: not enough data/,
    );
    // The chart is still drawn, on the custom range's axis.
    const activityChart = page.locator('#activity-chart .uplot');
    expect(Number(await activityChart.getAttribute('data-x-from'))).toBe(
      (startMs + 30 * minuteMs) / 1000,
    );
    await page.close();
  }, 90_000);
});
