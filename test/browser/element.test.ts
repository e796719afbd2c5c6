// <headcount-count> in a plain HTML page: one tag shows the live number in the site's words and
// language, with an accessible name and the live period's peak; it follows its attributes, shares
// one session between elements of one room, and leaves when it is taken out of the page.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAgent } from '../support/app.js';
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
  startApi,
  waitFor,
} from '../support/browser.js';

const leaveGraceS = 1;

const elementPage = (api: RunningApi, room: string) => `<!doctype html>
<html lang="de">
<p>
  <headcount-count id="a" room="${room}" label="{n} schauen zu" peak-label="Höchststand {n}"
    webdriver>…</headcount-count>
</p>
<footer><headcount-count id="b" room="${room}" show="sessions" webdriver></headcount-count></footer>
<script src="${api.url}/headcount-count.js" async></script>
</html>`;

interface Rendered {
  text: string;
  label: string | null;
  role: string | null;
  live: string | null;
  parts: string[];
}

const rendered = (page: Page, id: string) =>
  page.evaluate((selector) => {
    const element = document.querySelector(selector)!;
    return {
      text: element.textContent!,
      label: element.getAttribute('aria-label'),
      role: element.getAttribute('role'),
      live: element.getAttribute('aria-live'),
      parts: [...element.querySelectorAll('[part]')].map((p) => p.getAttribute('part')!),
    };
  }, `#${id}`);

describe.skipIf(!browserAvailable)('the <headcount-count> element', () => {
  let api: RunningApi;
  let pages: PageServer;
  let browser: Browser;
  let context: BrowserContext;
  const rooms = {
    shown: randomRoom('element'),
    left: randomRoom('element-left'),
    next: randomRoom('element-next'),
  };

  beforeAll(async () => {
    await ensureClientBuilt();
    api = await startApi({ LEAVE_GRACE_S: String(leaveGraceS), COUNT_POLL_S: '1' });
    pages = await servePages({
      '/shown': elementPage(api, rooms.shown),
      '/left': elementPage(api, rooms.left),
    });
    browser = await launchChromium();
    context = await humanContext(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await api?.close();
  });

  async function beat(room: string, session: string, viewer: string): Promise<void> {
    const res = await fetch(`${api.url}/v1/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': browserAgent },
      body: JSON.stringify({ room, session, viewer }),
    });
    expect(res.status).toBe(200);
  }

  const shows = (page: Page, id: string, text: string) =>
    waitFor(`#${id} to show "${text}"`, async () => {
      const now = await rendered(page, id);
      return now.text === text ? now : undefined;
    });

  it('shows the number in its label, with the peak, an accessible name and styleable parts', async () => {
    const page = await context.newPage();
    await page.goto(`${pages.url}/shown`);
    const first: Rendered = await shows(page, 'a', '1 schauen zu Höchststand 1');
    expect(first).toEqual({
      text: '1 schauen zu Höchststand 1',
      label: '1 schauen zu, Höchststand 1',
      role: 'status',
      live: 'off',
      parts: ['count', 'peak'],
    });
    // Two elements of one room are one session of the page: they share it.
    await shows(page, 'b', '1 watching');
    expect((await readCount(api, rooms.shown)).sessions).toBe(1);

    // Others come and one goes: the number follows, the live period's peak stays.
    await beat(rooms.shown, 'element-other-1', 'bea');
    await beat(rooms.shown, 'element-other-2', 'cem');
    await shows(page, 'a', '3 schauen zu Höchststand 3');
    await fetch(`${api.url}/v1/leave`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room: rooms.shown, session: 'element-other-2' }),
    });
    await shows(page, 'a', '2 schauen zu Höchststand 3');

    // A new label template applies at once.
    await page.evaluate(() => document.querySelector('#a')!.setAttribute('label', '{n} here'));
    await shows(page, 'a', '2 here Höchststand 3');
    await page.close();
  }, 60_000);

  it('follows a change of room and leaves when taken out of the page', async () => {
    const page = await context.newPage();
    await page.goto(`${pages.url}/left`);
    await shows(page, 'a', '1 schauen zu Höchststand 1');
    await beat(rooms.next, 'element-other-3', 'dan');
    await page.evaluate((room) => {
      for (const element of document.querySelectorAll('headcount-count')) {
        element.setAttribute('room', room);
      }
    }, rooms.next);
    await shows(page, 'b', '2 watching');
    await waitFor('the first room to be empty', async () =>
      (await readCount(api, rooms.left)).sessions === 0 ? true : undefined,
    );
    const leaves = () => api.received.filter((r) => r.path === '/v1/leave').length;
    const before = leaves();
    // One element out: the other still shows the room, and the page stays in it.
    await page.evaluate(() => document.querySelector('#a')!.remove());
    await new Promise((r) => setTimeout(r, 500));
    expect(leaves()).toBe(before);
    await page.evaluate(() => document.querySelector('#b')!.remove());
    await waitFor('a leave', () => (leaves() > before ? true : undefined));
    await waitFor('the page out of the other room', async () =>
      (await readCount(api, rooms.next)).sessions === 1 ? true : undefined,
    );
    await page.close();
  }, 60_000);
});
