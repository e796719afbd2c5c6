// Who is here, in the browser: members of a signed room, each in a browser of their own, see each
// other by name in <headcount-viewers>; one who chose to appear offline is counted and never
// listed; a name is shown as text, never run as HTML. A visitor who opted out, and a page under
// automation, send no heartbeat and no leave but still show the number and the list. join({
// onViewers }) reads the list with the token as Bearer, conditionally, only while visible.
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient } from '../../src/client/build.js';
import {
  browserAvailable,
  collectErrors,
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
import { claimsFor, mintHs256, secretA } from '../support/tokens.js';

const leaveGraceS = 1;
/** A name a page must show as text: run as HTML, it would set window.pwned. */
const scriptName = '<img src=x onerror="window.pwned=1">';

const member = (room: string, sub: string, claims: Record<string, unknown> = {}) =>
  mintHs256({ ...claimsFor(room, sub), ...claims }, secretA, { kid: 'k1' });

/**
 * The elements as a site puts them: the number, the whole list, and a list of one name. `extra`
 * is `webdriver` on the pages of members who are counted under automation, as in every browser test.
 */
const listPage = (api: RunningApi, room: string, token: string, extra: string) => `<!doctype html>
<html lang="en-GB">
<p><headcount-count id="count" room="${room}" token="${token}" ${extra}>…</headcount-count></p>
<headcount-viewers id="all" room="${room}" token="${token}" ${extra}>…</headcount-viewers>
<headcount-viewers id="one" room="${room}" max="1" ${extra}></headcount-viewers>
<script src="${api.url}/headcount-viewers.js" async></script>
</html>`;

/** join({ onViewers }) as a module, not counted, with its token from a function of the page. */
const modulePage = (api: RunningApi, room: string) => `<!doctype html>
<script type="module">
  import { join } from '${api.url}/presence.mjs';
  window.lists = [];
  window.handle = join({
    endpoint: '${api.url}',
    room: '${room}',
    optOut: true,
    limit: 10,
    token: () => window.mintToken(),
    onViewers: (list) => window.lists.push(list),
  });
</script>`;

interface Shown {
  count: string;
  summary: string | null;
  label: string | null;
  live: string | null;
  names: string[];
  ids: string[];
  images: number;
}

const shown = (page: Page, id: string): Promise<Shown> =>
  page.evaluate((selector) => {
    const element = document.querySelector(selector)!;
    const list = element.querySelector('ul[part="list"]');
    const entries = [...element.querySelectorAll('ul[part="list"] > li[part="viewer"]')];
    return {
      count: document.querySelector('#count')!.textContent!,
      summary: element.querySelector('[part="summary"]')?.textContent ?? null,
      label: list?.getAttribute('aria-label') ?? null,
      live: list?.getAttribute('aria-live') ?? null,
      names: entries.map((li) => li.textContent!),
      ids: entries.map((li) => (li as HTMLElement).dataset.id!),
      images: document.querySelectorAll('img').length,
    };
  }, `#${id}`);

/** Waits until the element's sentence reads text (and #count the count), and returns it all. */
const reads = (page: Page, id: string, text: string, count = text.split(',')[0]) =>
  waitFor(`#${id} to read "${text}"`, async () => {
    const now = await shown(page, id);
    return now.summary === text && now.count === count ? now : undefined;
  });

/** The requests a browser context sent to the API (beacons included), as method and path. */
function sentBy(context: BrowserContext, apiUrl: string): Request[] {
  const sent: Request[] = [];
  context.on('request', (request) => {
    if (request.url().startsWith(apiUrl)) sent.push(request);
  });
  return sent;
}

const paths = (sent: Request[]) =>
  sent.map((r) => `${r.method()} ${new URL(r.url()).pathname}`).filter((p) => !/\.m?js$/.test(p));

describe.skipIf(!browserAvailable)('who is here, in the browser', () => {
  let api: RunningApi;
  let pages: PageServer;
  let browser: Browser;
  const room = randomRoom('viewers-lounge');
  const moduleRoom = randomRoom('viewers-module');
  const tokens = {
    ada: member(room, 'ada', { name: 'Ada' }),
    mallory: member(room, 'mallory', { name: scriptName }),
    hedy: member(room, 'hedy', { name: 'Hedy', listed: false }),
    olive: member(room, 'olive', { name: 'Olive' }),
    walt: member(room, 'walt', { name: 'Walt' }),
  };
  const members: Record<string, { context: BrowserContext; page: Page; errors: string[] }> = {};

  beforeAll(async () => {
    // Built here rather than by ensureClientBuilt, which does not know headcount-viewers.js.
    await buildClient();
    api = await startApi({
      PRESENCE_SECRET: `k1:${secretA}`,
      SIGNED_ROOMS: 'viewers-*',
      COUNT_POLL_S: '1',
      LEAVE_GRACE_S: String(leaveGraceS),
    });
    pages = await servePages({
      '/ada': listPage(api, room, tokens.ada, 'webdriver'),
      '/mallory': listPage(api, room, tokens.mallory, 'webdriver'),
      '/hedy': listPage(api, room, tokens.hedy, 'webdriver'),
      // Olive opted out in localStorage; Walt's browser is driven by automation (no attribute).
      '/olive': listPage(api, room, tokens.olive, 'webdriver'),
      '/walt': listPage(api, room, tokens.walt, ''),
      '/module': modulePage(api, moduleRoom),
      '/elsewhere': '<!doctype html><p>another page</p>',
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await api?.close();
  });

  /** Opens a member's page in a browser of their own, and waits for the room to count them. */
  async function opens(name: 'ada' | 'mallory' | 'hedy', viewers: number): Promise<void> {
    const context = await humanContext(browser);
    const page = await context.newPage();
    const errors = collectErrors(page);
    members[name] = { context, page, errors };
    await page.goto(`${pages.url}/${name}`);
    await waitFor(`${name} to be counted`, async () =>
      (await readCount(api, room)).viewers === viewers ? true : undefined,
    );
  }

  const everyone = ['Ada', scriptName];
  const sentence = `3 watching, including Ada and ${scriptName}`;

  it('lists the members by name on each page, the hidden one counted but absent, names as text', async () => {
    // One after another, so that the list's order (since, then id) is the order they came in.
    await opens('ada', 1);
    await opens('mallory', 2);
    await opens('hedy', 3);
    expect(await readCount(api, room)).toMatchObject({ sessions: 3, viewers: 3 });

    for (const name of ['ada', 'mallory', 'hedy']) {
      const { page, errors } = members[name]!;
      const all = await reads(page, 'all', sentence);
      expect(all).toEqual({
        count: '3 watching',
        summary: sentence,
        label: sentence,
        live: 'polite',
        names: everyone,
        ids: ['ada', 'mallory'],
        images: 0,
      });
      // max="1": one name, and the other listed member as "1 other"; Hedy is not an "other".
      const one = await reads(page, 'one', '3 watching, including Ada and 1 other');
      expect(one.names).toEqual(['Ada']);
      expect(await page.evaluate(() => 'pwned' in window)).toBe(false);
      expect(errors).toEqual([]);
    }
  }, 90_000);

  it('drops a member who leaves from every list once the leave grace has passed', async () => {
    await members.mallory!.page.close();
    await members.mallory!.context.close();
    for (const name of ['ada', 'hedy']) {
      const { page } = members[name]!;
      const after = await reads(page, 'all', '2 watching, including Ada');
      expect(after.names).toEqual(['Ada']);
      await reads(page, 'one', '2 watching, including Ada');
    }
    // Back for the tests below.
    await opens('mallory', 3);
    await reads(members.ada!.page, 'all', sentence);
  }, 60_000);

  /** A page that is not counted: it shows the number and the list, and sends no heartbeat. */
  async function showsWithoutBeating(context: BrowserContext, path: string, token: string) {
    const sent = sentBy(context, api.url);
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${pages.url}${path}`);
    const all = await reads(page, 'all', sentence);
    expect(all.names).toEqual(everyone);
    expect(all.count).toBe('3 watching');
    await reads(page, 'one', '3 watching, including Ada and 1 other');
    expect(await page.evaluate(() => 'pwned' in window)).toBe(false);
    // Still three: the page is not counted, and nothing of it is kept in the browser.
    expect(await readCount(api, room)).toMatchObject({ sessions: 3, viewers: 3 });
    expect(
      await page.evaluate(() => [sessionStorage.length, localStorage.getItem('headcountViewer')]),
    ).toEqual([0, null]);
    // Reads only: the count and the list, the list with the member's token; no leave on the way out.
    await page.goto(`${pages.url}/elsewhere`);
    await page.waitForTimeout(500);
    const sentPaths = paths(sent);
    expect(sentPaths.filter((p) => p.startsWith('POST'))).toEqual([]);
    expect(new Set(sentPaths.filter((p) => p.startsWith('GET')))).toEqual(
      new Set([`GET /v1/rooms/${room}/count`, `GET /v1/rooms/${room}/viewers`]),
    );
    const listReads = sent.filter(
      (r) => r.method() === 'GET' && new URL(r.url()).pathname.endsWith('/viewers'),
    );
    expect(listReads.length).toBeGreaterThan(0);
    for (const read of listReads) {
      expect(await read.headerValue('authorization')).toBe(`Bearer ${token}`);
    }
    expect(errors).toEqual([]);
  }

  it('shows the number and the list to a visitor who opted out, without a heartbeat or leave', async () => {
    const context = await humanContext(browser);
    await context.addInitScript(() => localStorage.setItem('headcountOptOut', '1'));
    await showsWithoutBeating(context, '/olive', tokens.olive);
    await context.close();
  }, 60_000);

  it('shows the number and the list under automation, without a heartbeat or leave', async () => {
    const context = await humanContext(browser);
    await showsWithoutBeating(context, '/walt', tokens.walt);
    await context.close();
  }, 60_000);

  it('join({ onViewers }) reads the list at the count pace, conditionally, only while visible', async () => {
    // Two members in the module's room, beating from outside the browser.
    for (const sub of ['bea', 'cem']) {
      const res = await fetch(`${api.url}/v1/heartbeat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Mozilla/5.0 Chrome/126.0' },
        body: JSON.stringify({
          room: moduleRoom,
          session: `session-${sub}-01`,
          token: member(moduleRoom, sub, { name: sub.toUpperCase() }),
        }),
      });
      expect(res.status).toBe(200);
    }
    const context = await humanContext(browser);
    const sent = sentBy(context, api.url);
    const page = await context.newPage();
    const errors = collectErrors(page);
    const minted: string[] = [];
    await page.exposeFunction('mintToken', () => {
      minted.push(member(moduleRoom, 'dora'));
      return minted.at(-1);
    });
    const listPath = `/v1/rooms/${moduleRoom}/viewers`;
    const listReads = () => api.received.filter((r) => r.method === 'GET' && r.path === listPath);
    await page.goto(`${pages.url}/module`);
    await waitFor('a few list reads', () => (listReads().length >= 4 ? true : undefined));
    const lists = (await page.evaluate(
      () => (window as unknown as { lists: unknown[] }).lists,
    )) as {
      viewers: { id: string; name: string }[];
      total: number;
      hidden: number;
    }[];
    expect(lists.length).toBeGreaterThanOrEqual(1);
    expect(lists[0]).toMatchObject({ total: 2, hidden: 0 });
    expect(lists[0]!.viewers.map((v) => [v.id, v.name])).toEqual([
      ['bea', 'BEA'],
      ['cem', 'CEM'],
    ]);
    // One token for the whole run: it lives far longer than the test.
    expect(minted).toHaveLength(1);
    // After the first, each read revalidates: an unchanged list is a 304 with no body.
    const [first, ...later] = listReads();
    expect(first!.status).toBe(200);
    expect(later.every((r) => r.ifNoneMatch)).toBe(true);
    expect(later.some((r) => r.status === 304)).toBe(true);
    // About one read a second (COUNT_POLL_S=1), not faster.
    const spanMs = later.at(-1)!.at - first!.at;
    expect(spanMs / later.length).toBeGreaterThan(800);
    // The list read asks for the limit given, with the token as Bearer.
    const listRequest = sent.find(
      (r) => r.method() === 'GET' && new URL(r.url()).pathname === listPath,
    )!;
    expect(new URL(listRequest.url()).searchParams.get('limit')).toBe('10');
    expect(await listRequest.headerValue('authorization')).toBe(`Bearer ${minted[0]}`);

    // A hidden page stops reading; back in the foreground, it reads again at once.
    await setVisibility(page, 'hidden');
    await page.waitForTimeout(300);
    const whileHidden = listReads().length;
    await page.waitForTimeout(2_500);
    expect(listReads().length).toBe(whileHidden);
    await setVisibility(page, 'visible');
    await waitFor('a read once visible', () =>
      listReads().length > whileHidden ? true : undefined,
    );
    // Not counted (optOut), and it asked for no count: list reads only.
    expect(new Set(paths(sent).filter((p) => !p.startsWith('OPTIONS')))).toEqual(
      new Set([`GET ${listPath}`]),
    );
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
