// A page with the classic <script> tag, served from another origin than the API, is counted:
// heartbeats as text/plain (no CORS preflight), counts handed to the page, no console errors.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserAvailable,
  collectErrors,
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

const room = randomRoom('heartbeat');
const optedOutRoom = randomRoom('opted-out');
const automatedRoom = randomRoom('automated');

const taggedPage = (api: RunningApi, attributes: string) => `<!doctype html>
<p id="watching">…</p>
<script src="${api.url}/presence.js" ${attributes}></script>
<script>
  document.addEventListener('headcount:count', (event) => {
    document.getElementById('watching').textContent = event.detail.viewers + ' watching';
  });
</script>`;

/** Records every POST the page sends to the API. */
function postsTo(page: Page, apiUrl: string): string[] {
  const sent: string[] = [];
  page.on('request', (request) => {
    if (request.url().startsWith(apiUrl) && request.method() === 'POST') sent.push(request.url());
  });
  return sent;
}

describe.skipIf(!browserAvailable)('a page with the presence.js script tag', () => {
  let api: RunningApi;
  let pages: PageServer;
  let browser: Browser;

  beforeAll(async () => {
    await ensureClientBuilt();
    api = await startApi({ HEARTBEAT_INTERVAL_S: '2', HEARTBEAT_TTL_S: '30' });
    pages = await servePages({
      '/counted': taggedPage(api, `data-room="${room}" data-webdriver="true" data-entry="tests"`),
      '/opted-out': taggedPage(api, `data-room="${optedOutRoom}" data-webdriver="true"`),
      '/automated': taggedPage(api, `data-room="${automatedRoom}"`),
      '/opt-out-attribute': taggedPage(
        api,
        `data-room="${optedOutRoom}" data-webdriver="true" data-opt-out`,
      ),
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await api?.close();
  });

  it('is counted from another origin with text/plain heartbeats, no preflight and no errors', async () => {
    const context = await humanContext(browser);
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${pages.url}/counted`);

    await waitFor('the room to count the page', async () => {
      const count = await readCount(api, room);
      return count.sessions === 1 ? count : undefined;
    });
    await expect.poll(() => page.textContent('#watching')).toBe('1 watching');
    // Several heartbeats, so that the interval from the response is followed too.
    const answered = () =>
      api.received.filter((r) => r.path === '/v1/heartbeat' && r.status !== undefined);
    const heartbeats = await waitFor('a second answered heartbeat', () =>
      answered().length >= 2 ? answered() : undefined,
    );
    for (const heartbeat of heartbeats) {
      expect(heartbeat.method).toBe('POST');
      expect(heartbeat.contentType).toMatch(/^text\/plain/);
      expect(heartbeat.status).toBe(200);
    }
    expect(api.received.filter((r) => r.method === 'OPTIONS')).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('sends nothing when the viewer opted out in localStorage or the tag says data-opt-out', async () => {
    const context = await humanContext(browser);
    const page = await context.newPage();
    const sent = postsTo(page, api.url);
    await page.goto(`${pages.url}/opt-out-attribute`);
    await page.evaluate(() => localStorage.setItem('headcountOptOut', '1'));
    await page.goto(`${pages.url}/opted-out`);
    // The script has run once its global exists; a started client sends its heartbeat at once.
    await page.waitForFunction(() => 'Headcount' in window);
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 500)));
    expect(sent).toEqual([]);
    expect((await readCount(api, optedOutRoom)).sessions).toBe(0);
    await context.close();
  });

  it('does not start in a browser driven by automation unless data-webdriver="true"', async () => {
    const context = await humanContext(browser);
    const page = await context.newPage();
    const sent = postsTo(page, api.url);
    await page.goto(`${pages.url}/automated`);
    expect(await page.evaluate(() => navigator.webdriver)).toBe(true);
    await page.waitForFunction(() => 'Headcount' in window);
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 500)));
    expect(sent).toEqual([]);
    expect((await readCount(api, automatedRoom)).sessions).toBe(0);
    await context.close();
  });
});
