// The dashboard over a week of archive: 10 000 one-minute snapshot rows, seeded with one set-based
// INSERT (the snapshot job's own writing is tested in test/archive and by the dashboard test, which
// fills its archive through the real job). Each range reads right (rolled up to at most 1 500 buckets, the range as the axis) and is
// drawn in reasonable time.
import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { adminToken } from '../support/app.js';
import { seedSnapshotRows } from '../support/archive-seed.js';
import {
  browserAvailable,
  ensureClientBuilt,
  launchChromium,
  type RunningApi,
  randomRoom,
  startApi,
} from '../support/browser.js';
import { closeTestDatabase, openTestDatabase } from '../support/databases.js';

const room = randomRoom('long-week');
const minuteMs = 60_000;
const minutes = 10_000;

describe.skipIf(!browserAvailable)('the dashboard over 10 000 archived minutes', () => {
  let database: Database;
  let api: RunningApi;
  let browser: Browser;
  let archivedRows = 0;

  beforeAll(async () => {
    await ensureClientBuilt();
    database = await openTestDatabase('pglite');
    const startMs = Math.floor(Date.now() / minuteMs) * minuteMs - (minutes + 2) * minuteMs;
    // A daily rhythm: 1 to 6 sessions, nobody between 03:00 and 04:00 UTC.
    const sessions = Array.from({ length: minutes }, (_, i) => {
      const hour = new Date(startMs + i * minuteMs).getUTCHours();
      return hour === 3 ? null : 1 + ((hour + (i % 3)) % 6);
    });
    const started = performance.now();
    archivedRows = await seedSnapshotRows(database, room, startMs, sessions);
    console.info(
      `seeded ${archivedRows} snapshot rows in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    api = await startApi({ ADMIN_TOKEN: adminToken }, { database });
    browser = await launchChromium();
    await mkdir('test-results', { recursive: true });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await closeTestDatabase(database);
  });

  it('draws each range rolled up, with the range as the axis', async () => {
    expect(archivedRows).toBeGreaterThan(9_000);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${api.url}/dashboard`);
    await page.fill('#token', adminToken);
    await page.click('button[type="submit"]');
    await page.goto(`${api.url}/dashboard#room/${encodeURIComponent(room)}`);
    await page.locator('#room-view').waitFor({ state: 'visible' });

    // The newest minutes of the hour are not archived yet: the seeding ended a minute or two ago.
    const expectations = [
      ['hour', /^(5\d|60) archived points, one per 1m/, 1],
      ['day', /^1[34]\d\d archived points, one per 1m/, 24],
      ['week', /^1[56]\d archived points, one per 1h/, 168],
      ['month', /^1[56]\d archived points, one per 1h/, 720],
    ] as const;
    for (const [range, note, hours] of expectations) {
      const clicked = performance.now();
      await page.click(`[data-range="${range}"]`);
      await expect.poll(() => page.textContent('#chart-note'), { timeout: 20_000 }).toMatch(note);
      console.info(
        `${range}: drawn ${(performance.now() - clicked).toFixed(0)} ms after the click`,
      );
      const root = page.locator('#chart .uplot');
      const spanS =
        Number(await root.getAttribute('data-x-to')) -
        Number(await root.getAttribute('data-x-from'));
      expect(Math.round(spanS / 3600)).toBe(hours);
    }
    await page.screenshot({ path: 'test-results/dashboard-30-days.png', fullPage: true });
    await context.close();
  }, 120_000);
});
