// Tabs and viewers, with the client imported as an ES module: tabs of one browser are sessions
// of one viewer; a tab in the background stays counted but is no longer visible.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserAvailable,
  ensureClientBuilt,
  humanContext,
  launchChromium,
  type PageServer,
  type RunningApi,
  randomRoom,
  readCount,
  servePages,
  setVisibility,
  startApi,
  waitFor,
} from '../support/browser.js';

const intervalS = 10;

/** A page that joins with the module build and keeps what onCount reported. */
const modulePage = (api: RunningApi, room: string) => `<!doctype html>
<script type="module">
  import { join } from '${api.url}/presence.mjs';
  window.counts = [];
  window.handle = join({
    endpoint: '${api.url}',
    room: '${room}',
    allowWebdriver: true,
    onCount: (count) => window.counts.push(count),
  });
</script>`;

interface Reported {
  sessions: number;
  viewers: number;
}

declare global {
  interface Window {
    counts: Reported[];
    handle: { sessionId: string; leave(): void };
  }
}

describe.skipIf(!browserAvailable)('tabs of one browser', () => {
  let api: RunningApi;
  let pages: PageServer;
  let browser: Browser;
  const rooms = { tabs: randomRoom('tabs'), background: randomRoom('background') };

  beforeAll(async () => {
    await ensureClientBuilt();
    api = await startApi({
      VISIBLE_INTERVAL_S: String(intervalS),
      VISIBLE_TTL_S: '60',
      HIDDEN_INTERVAL_S: '30',
      HIDDEN_TTL_S: '90',
    });
    pages = await servePages({
      '/tabs': modulePage(api, rooms.tabs),
      '/background': modulePage(api, rooms.background),
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await api?.close();
  });

  async function open(page: Page, path: string): Promise<string> {
    await page.goto(`${pages.url}${path}`);
    await page.waitForFunction(() => window.counts?.length > 0);
    return page.evaluate(() => window.handle.sessionId);
  }

  it('two tabs of one browser are two sessions and one viewer; another browser adds a viewer', async () => {
    const first = await humanContext(browser);
    const second = await humanContext(browser);
    const tabA = await first.newPage();
    const tabB = await first.newPage();
    const other = await second.newPage();

    const sessionA = await open(tabA, '/tabs');
    const sessionB = await open(tabB, '/tabs');
    expect(sessionA).toMatch(/^[a-z0-9]{28}$/);
    expect(sessionB).not.toBe(sessionA);
    await waitFor('two sessions of one viewer', async () => {
      const count = await readCount(api, rooms.tabs);
      return count.sessions === 2 ? count : undefined;
    }).then((count) => expect(count.viewers).toBe(1));
    // The second tab's own heartbeat response already said so.
    expect(await tabB.evaluate(() => window.counts.at(-1))).toEqual({ sessions: 2, viewers: 1 });

    await open(other, '/tabs');
    expect(await other.evaluate(() => window.counts.at(-1))).toEqual({ sessions: 3, viewers: 2 });
    expect(await readCount(api, rooms.tabs)).toMatchObject({ sessions: 3, viewers: 2 });

    await first.close();
    await second.close();
  });

  it('a tab sent to the background stays in sessions but leaves visible, at once', async () => {
    const context = await humanContext(browser);
    const page = await context.newPage();
    await open(page, '/background');
    await waitFor('the tab to count as visible', async () => {
      const count = await readCount(api, rooms.background);
      return count.visible === 1 ? true : undefined;
    });

    const hiddenAt = Date.now();
    await setVisibility(page, 'hidden');
    const hiddenCount = await waitFor('the tab to leave visible', async () => {
      const count = await readCount(api, rooms.background);
      return count.visible === 0 ? count : undefined;
    });
    expect(hiddenCount).toMatchObject({ sessions: 1, viewers: 1, visible: 0 });
    // Sent on visibilitychange, not at the next interval.
    expect(Date.now() - hiddenAt).toBeLessThan((intervalS * 1000) / 2);

    await setVisibility(page, 'visible');
    await waitFor('the tab to be visible again', async () => {
      const count = await readCount(api, rooms.background);
      return count.visible === 1 && count.sessions === 1 ? true : undefined;
    });
    await context.close();
  });
});
