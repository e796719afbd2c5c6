// Leaving: a page that goes away says leave with sendBeacon and drops out once the leave grace
// has passed; a reload (leave, then a heartbeat with the same session) neither dips nor doubles.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserAvailable,
  type CountReading,
  ensureClientBuilt,
  humanContext,
  launchChromium,
  type PageServer,
  type RunningApi,
  randomRoom,
  readCount,
  servePages,
  startApi,
  waitFor,
} from '../support/browser.js';

const leaveGraceS = 3;
const ttlS = 60;

const watchingPage = (api: RunningApi, room: string) => `<!doctype html>
<script src="${api.url}/presence.js" data-room="${room}" data-webdriver="true"></script>`;

describe.skipIf(!browserAvailable)('leaving a page', () => {
  let api: RunningApi;
  let pages: PageServer;
  let browser: Browser;
  const rooms = {
    navigate: randomRoom('navigate'),
    close: randomRoom('close'),
    reload: randomRoom('reload'),
  };

  beforeAll(async () => {
    await ensureClientBuilt();
    // A long ttl: a session that drops out within seconds dropped because it said leave.
    api = await startApi({
      HEARTBEAT_INTERVAL_S: '10',
      HEARTBEAT_TTL_S: String(ttlS),
      LEAVE_GRACE_S: String(leaveGraceS),
    });
    pages = await servePages({
      '/navigate': watchingPage(api, rooms.navigate),
      '/close': watchingPage(api, rooms.close),
      '/reload': watchingPage(api, rooms.reload),
      '/elsewhere': '<!doctype html><p>another page</p>',
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await api?.close();
  });

  const counted = (room: string, sessions: number) =>
    waitFor(`${room} to count ${sessions}`, async () =>
      (await readCount(api, room)).sessions === sessions ? true : undefined,
    );

  /** Leave requests the API has answered since the index-th request it received. */
  const leavesSince = (index: number) =>
    api.received
      .slice(index)
      .filter((r) => r.method === 'POST' && r.path === '/v1/leave' && r.status !== undefined);

  /** Checks the room drops to zero after the leave grace, counted from when leave arrived. */
  async function dropsAfterGrace(room: string, leaveAt: number): Promise<void> {
    const droppedAt = await waitFor('the count to drop', async () =>
      (await readCount(api, room)).sessions === 0 ? Date.now() : undefined,
    );
    expect(droppedAt - leaveAt).toBeGreaterThanOrEqual(leaveGraceS * 1000 - 300);
    expect(droppedAt - leaveAt).toBeLessThan(ttlS * 1000);
  }

  it('navigating away sends leave by beacon and the count drops once the grace has passed', async () => {
    const context = await humanContext(browser);
    const page = await context.newPage();
    await page.goto(`${pages.url}/navigate`);
    await counted(rooms.navigate, 1);
    await recordBeacons(page);
    const before = api.received.length;

    await page.goto(`${pages.url}/elsewhere`);
    const leave = await waitFor('leave to arrive', () => leavesSince(before)[0]);

    expect(leave.contentType).toMatch(/^text\/plain/);
    expect(leave.status).toBe(204);
    expect(await page.evaluate(() => localStorage.getItem('beacons'))).toBe(
      `${api.url}/v1/leave queued\n`,
    );
    expect((await readCount(api, rooms.navigate)).sessions).toBe(1);
    await dropsAfterGrace(rooms.navigate, leave.at);
    await context.close();
  });

  it('closing the tab sends leave and the count drops once the grace has passed', async () => {
    const context = await humanContext(browser);
    const page = await context.newPage();
    await page.goto(`${pages.url}/close`);
    await counted(rooms.close, 1);
    const before = api.received.length;

    await page.close();
    const leave = await waitFor('leave to arrive', () => leavesSince(before)[0]);

    expect(leave.contentType).toMatch(/^text\/plain/);
    // No heartbeat may follow the leave, or the session would stay for a whole ttl.
    const after = api.received.slice(before).filter((r) => r.path === '/v1/heartbeat');
    expect(after).toEqual([]);
    await dropsAfterGrace(rooms.close, leave.at);
    await context.close();
  });

  it('a reload keeps the session: the count neither dips nor doubles', async () => {
    const context = await humanContext(browser);
    const page = await context.newPage();
    await page.goto(`${pages.url}/reload`);
    await counted(rooms.reload, 1);
    const sessionBefore = await sessionOf(page, rooms.reload);
    const before = api.received.length;

    const readings: CountReading[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        readings.push(await readCount(api, rooms.reload));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await page.reload();
    const leave = await waitFor('leave to arrive', () => leavesSince(before)[0]);
    await waitFor('a heartbeat after the leave', () =>
      api.received.find((r) => r.path === '/v1/heartbeat' && r.at >= leave.at && r.status === 200),
    );
    // Keep reading until well past the grace, when a lost session would have dropped out.
    await new Promise((r) => setTimeout(r, leaveGraceS * 1000 + 1000));
    polling = false;
    await poll;

    expect(await sessionOf(page, rooms.reload)).toBe(sessionBefore);
    expect(readings.length).toBeGreaterThan(20);
    expect(readings.filter((r) => r.sessions !== 1 || r.viewers !== 1)).toEqual([]);
    await context.close();
  });
});

/**
 * Notes every sendBeacon call in the page origin's localStorage, which outlives the page. The
 * API cannot tell a beacon from a fetch, and Chromium reports no request of a page being left.
 */
async function recordBeacons(page: Page): Promise<void> {
  await page.evaluate(() => {
    const send = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = (url, data) => {
      const queued = send(url, data);
      const line = `${String(url)} ${queued ? 'queued' : 'refused'}\n`;
      localStorage.setItem('beacons', (localStorage.getItem('beacons') ?? '') + line);
      return queued;
    };
  });
}

const sessionOf = (page: Page, room: string) =>
  page.evaluate((key) => sessionStorage.getItem(key), `headcount:${room}`);
