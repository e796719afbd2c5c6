// The browser client in a signed room: a page takes its token from the site's backend (a
// function here, exposed to the page as a site would fetch it), renews it before it expires
// and keeps its one session counted, flat, across several tokens' lifetimes; it says leave
// with its token. A page without a valid token is not counted and stops trying.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clockToleranceS } from '../../src/auth/presence-token.js';
import {
  browserAvailable,
  type CountReading,
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
import { epochS, mintHs256, secretA, secretB } from '../support/tokens.js';

/** Seconds a token lives: the client renews it 10 s before its end, so about every 5 s. */
const tokenLifetimeS = 15;

const mint = (room: string, sub: string, lifetimeS = tokenLifetimeS, secret = secretA) =>
  mintHs256({ room, sub, iat: epochS(), exp: epochS(lifetimeS) }, secret, { kid: 'k1' });

const modulePage = (api: RunningApi, room: string) => `<!doctype html>
<p id="watching">…</p>
<script type="module">
  import { join } from '${api.url}/presence.mjs';
  window.handle = join({
    endpoint: '${api.url}',
    room: '${room}',
    allowWebdriver: true,
    token: () => window.mintToken(),
    onCount: (count) => {
      document.getElementById('watching').textContent = count.viewers + ' watching';
    },
  });
</script>`;

const taggedPage = (api: RunningApi, room: string, token: string) => `<!doctype html>
<script src="${api.url}/presence.js" data-room="${room}" data-token="${token}" data-webdriver="true"></script>`;

describe.skipIf(!browserAvailable)('the browser client in a signed room', () => {
  let api: RunningApi;
  let pages: PageServer;
  let browser: Browser;
  const rooms = {
    renewing: randomRoom('signed-renewing'),
    tagged: randomRoom('signed-tagged'),
    forged: randomRoom('signed-forged'),
    retried: randomRoom('signed-retried'),
  };

  beforeAll(async () => {
    await ensureClientBuilt();
    api = await startApi({
      PRESENCE_SECRET: `k1:${secretA}`,
      SIGNED_ROOMS: 'signed-*',
      HEARTBEAT_INTERVAL_S: '1',
      HEARTBEAT_TTL_S: '30',
      LEAVE_GRACE_S: '1',
    });
    pages = await servePages({
      '/renewing': modulePage(api, rooms.renewing),
      '/retried': modulePage(api, rooms.retried),
      '/tagged': taggedPage(api, rooms.tagged, mint(rooms.tagged, 'reader-2', 300)),
      '/forged': taggedPage(api, rooms.forged, mint(rooms.forged, 'reader-3', 300, secretB)),
      '/elsewhere': '<!doctype html><p>another page</p>',
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await api?.close();
  });

  it('renews its token before expiry and stays counted, flat, across several lifetimes', async () => {
    const room = rooms.renewing;
    const context = await humanContext(browser);
    const page = await context.newPage();
    const errors = collectErrors(page);
    const minted: string[] = [];
    await page.exposeFunction('mintToken', () => {
      const token = mint(room, 'reader-1');
      minted.push(token);
      return token;
    });
    const sentTokens: string[] = [];
    page.on('request', (request) => {
      if (request.url() === `${api.url}/v1/heartbeat`) {
        sentTokens.push((JSON.parse(request.postData() ?? '{}') as { token?: string }).token ?? '');
      }
    });
    await page.goto(`${pages.url}/renewing`);
    await waitFor('the page to be counted', async () =>
      (await readCount(api, room)).sessions === 1 ? true : undefined,
    );
    await expect.poll(() => page.textContent('#watching')).toBe('1 watching');

    // Past the first token's expiry and the server's clock tolerance, reading all the while.
    const readings: CountReading[] = [];
    const until = Date.now() + (tokenLifetimeS + clockToleranceS + 2) * 1000;
    while (Date.now() < until) {
      const { sessions, viewers } = await readCount(api, room);
      readings.push({ sessions, viewers, visible: 0 });
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(readings.length).toBeGreaterThan(40);
    expect(readings.filter((r) => r.sessions !== 1 || r.viewers !== 1)).toEqual([]);

    const heartbeats = api.received.filter((r) => r.path === '/v1/heartbeat' && r.status);
    expect(heartbeats.length).toBeGreaterThan(15);
    expect(heartbeats.filter((r) => r.status !== 200)).toEqual([]);
    expect(minted.length).toBeGreaterThanOrEqual(3);
    expect(new Set(sentTokens).size).toBeGreaterThanOrEqual(3);
    expect(sentTokens.every((t) => minted.includes(t))).toBe(true);

    // The first token really expired on the way: the server now refuses it.
    const stale = await fetch(`${api.url}/v1/heartbeat`, {
      method: 'POST',
      body: JSON.stringify({ room, session: 'session-stale-01', token: minted[0] }),
    });
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe('invalid_token');

    // Leaving says leave with the current token, so the session goes after the leave grace.
    await page.goto(`${pages.url}/elsewhere`);
    await waitFor('the session to leave', async () =>
      (await readCount(api, room)).sessions === 0 ? true : undefined,
    );
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('after a 401, asks its function for a fresh token once and is counted with it', async () => {
    const context = await humanContext(browser);
    const page = await context.newPage();
    // The first token is refused however good its exp looks to the page (signed with a key the
    // service does not know, as after a rotation the backend has not caught up with).
    const minted: string[] = [];
    await page.exposeFunction('mintToken', () => {
      const token = mint(rooms.retried, 'reader-4', 300, minted.length === 0 ? secretB : secretA);
      minted.push(token);
      return token;
    });
    await page.goto(`${pages.url}/retried`);
    await waitFor('the page to be counted with its second token', async () =>
      (await readCount(api, rooms.retried)).sessions === 1 ? true : undefined,
    );
    expect(minted).toHaveLength(2);
    const answers = api.received
      .filter((r) => r.path === '/v1/heartbeat' && r.status !== undefined)
      .map((r) => r.status);
    expect(answers).toContain(401);
    await context.close();
  });

  it('sends the token of its data-token attribute, and the viewer is its sub', async () => {
    const context = await humanContext(browser);
    const first = await context.newPage();
    const second = await context.newPage();
    await first.goto(`${pages.url}/tagged`);
    await second.goto(`${pages.url}/tagged?again`);
    // Two tabs of one browser share a sub here: two sessions, one viewer.
    await waitFor('two tabs to be counted', async () => {
      const count = await readCount(api, rooms.tagged);
      return count.sessions === 2 ? count : undefined;
    });
    expect((await readCount(api, rooms.tagged)).viewers).toBe(1);
    await context.close();
  });

  it('is not counted with a forged token, and does not keep trying', async () => {
    const context = await humanContext(browser);
    const page = await context.newPage();
    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.url() === `${api.url}/v1/heartbeat`) sent.push(request.url());
    });
    await page.goto(`${pages.url}/forged`);
    await waitFor('the refused heartbeat', () =>
      api.received.some((r) => r.path === '/v1/heartbeat' && r.status === 401) ? true : undefined,
    );
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 3_000)));
    expect(sent).toHaveLength(1);
    expect((await readCount(api, rooms.forged)).sessions).toBe(0);
    await context.close();
  });
});
