// The operators' pages in a real browser: the dashboard keeps its token for the browser session
// only unless asked to remember it, and /docs works under the dashboard's strict security headers.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken } from '../support/app.js';
import {
  browserAvailable,
  collectErrors,
  ensureClientBuilt,
  humanContext,
  launchChromium,
  type RunningApi,
  startApi,
} from '../support/browser.js';

const tokenKey = 'headcountAdminToken';

const stored = (page: Page) =>
  page.evaluate(
    (key) => ({ session: sessionStorage.getItem(key), local: localStorage.getItem(key) }),
    tokenKey,
  );

describe.skipIf(!browserAvailable)('the operators’ pages', () => {
  let api: RunningApi;
  let browser: Browser;

  beforeAll(async () => {
    await ensureClientBuilt();
    api = await startApi({ ADMIN_TOKEN: adminToken });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  async function logIn(context: BrowserContext, remember: boolean): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${api.url}/dashboard`);
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#token', adminToken);
    if (remember) await page.check('#remember');
    await page.click('button[type="submit"]');
    await page.locator('#rooms-view').waitFor({ state: 'visible' });
    return page;
  }

  /** Opens the dashboard in a new tab of the context: which view does it show? */
  async function newTabShows(context: BrowserContext): Promise<'login' | 'rooms'> {
    const page = await context.newPage();
    await page.goto(`${api.url}/dashboard`);
    await page.locator('#login, #rooms-view').locator('visible=true').first().waitFor();
    const view = (await page.isVisible('#login')) ? 'login' : 'rooms';
    await page.close();
    return view;
  }

  it('keeps the token for this browser session only, unless asked to remember it', async () => {
    const context = await humanContext(browser);
    const page = await logIn(context, false);
    expect(await stored(page)).toEqual({ session: adminToken, local: null });
    await page.reload();
    await page.locator('#rooms-view').waitFor({ state: 'visible' });
    // A new tab is a new browser session as far as sessionStorage goes: it asks again.
    expect(await newTabShows(context)).toBe('login');
    await context.close();
  });

  it('remembers the token on this device when asked, and forgets it everywhere on request', async () => {
    const context = await humanContext(browser);
    const page = await logIn(context, true);
    expect(await stored(page)).toEqual({ session: null, local: adminToken });
    expect(await newTabShows(context)).toBe('rooms');
    await page.click('#forget');
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await stored(page)).toEqual({ session: null, local: null });
    expect(await newTabShows(context)).toBe('login');
    await context.close();
  });

  it('shows the API document at /docs under the dashboard’s security headers', async () => {
    const context = await humanContext(browser);
    const page = await context.newPage();
    const errors = collectErrors(page);
    const response = await page.goto(`${api.url}/docs`);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    await expect
      .poll(() => page.locator('.swagger-ui .info .title').textContent(), { timeout: 15_000 })
      .toContain('Headcount');
    expect(await page.locator('.opblock').count()).toBeGreaterThan(5);
    expect(errors).toEqual([]);
    await context.close();
  });
});
