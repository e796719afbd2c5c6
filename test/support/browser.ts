// Real pieces for browser tests: Debian's chromium driven by playwright-core, the real API
// listening on a port of its own, and a page server on another port (another origin).

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import { buildClient } from '../../src/client/build.js';
import { type Config, loadConfig } from '../../src/config.js';
import { buildDashboard } from '../../src/dashboard/build.js';
import type { Database } from '../../src/db/client.js';
import badgeRoutes from '../../src/routes/badge.js';
import clientRoutes, { defaultClientDir } from '../../src/routes/client.js';
import dashboardRoutes from '../../src/routes/dashboard.js';
import { closeTestDatabase, openTestDatabase } from './databases.js';
import { deleteRedisPrefix } from './stores.js';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * False when this machine has no Chromium: the browser suites are then skipped loudly on a
 * developer's machine, and fail in CI (CI=true), where .ci/ensure-chromium installs it.
 */
export const browserAvailable = existsSync(chromiumPath);
if (!browserAvailable) {
  const message = `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`${message}: the browser suites cannot run in CI`);
  }
  console.warn(`\n!!! ${message}: the browser suites are SKIPPED !!!\n`);
}

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/**
 * A browser context that reads as a person's browser: headless Chromium says "HeadlessChrome" in
 * its User-Agent, which the API rightly takes for a bot and does not count.
 */
/** Signs in to the dashboard with the admin token, as an operator does. */
export async function logIn(page: Page, api: RunningApi, token: string): Promise<void> {
  await page.goto(`${api.url}/dashboard`);
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.fill('#token', token);
  await page.click('button[type="submit"]');
}

export async function humanContext(browser: Browser): Promise<BrowserContext> {
  const probe = await browser.newPage();
  const userAgent = (await probe.evaluate(() => navigator.userAgent)).replace(
    'HeadlessChrome',
    'Chrome',
  );
  await probe.close();
  return browser.newContext({ userAgent });
}

let clientBuilt: Promise<unknown> | null = null;

const newestChange = async (dir: string, names: string[]) =>
  Math.max(...(await Promise.all(names.map((n) => stat(join(dir, n)).then((s) => s.mtimeMs)))));

/** True when every built file exists and is newer than every source it is built from. */
async function builtIsFresh(): Promise<boolean> {
  const sources = fileURLToPath(new URL('../../src/', import.meta.url));
  try {
    const built = await Promise.all(
      [
        'presence.js',
        'presence.mjs',
        'headcount-count.js',
        'dashboard.html',
        'dashboard.js',
        'dashboard.css',
      ].map((n) => stat(join(defaultClientDir, n)).then((s) => s.mtimeMs)),
    );
    const changed = Math.max(
      await newestChange(join(sources, 'client'), ['presence.ts', 'element.ts', 'build.ts']),
      await newestChange(
        join(sources, 'dashboard'),
        (await readdir(join(sources, 'dashboard'))).filter((n) => n !== 'README.md'),
      ),
    );
    return Math.min(...built) > changed;
  } catch {
    return false;
  }
}

/**
 * Builds dist/client (client and dashboard) unless it is newer than its sources; once per test
 * file. Writes are atomic, so files running in parallel are safe.
 */
export function ensureClientBuilt(): Promise<unknown> {
  clientBuilt ??= builtIsFresh().then((fresh) =>
    fresh ? undefined : Promise.all([buildClient(), buildDashboard()]),
  );
  return clientBuilt;
}

/** A request the API received, and what it answered. */
export interface ReceivedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  /** The If-None-Match header: the browser revalidating what it has. */
  ifNoneMatch: string | undefined;
  /** Epoch ms at which the API received it. */
  at: number;
  /** Set once the response is sent. */
  status?: number;
  /** The Retry-After header of the response, in seconds. */
  retryAfterS?: number;
}

export interface RunningApi {
  app: FastifyInstance;
  config: Config;
  /** http://127.0.0.1:port, no trailing slash. */
  url: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/** Adds the client, badge and dashboard routes to an app whose route index lacks them. */
export async function withClientRoutes(app: FastifyInstance): Promise<FastifyInstance> {
  if (!app.hasRoute({ method: 'GET', url: '/presence.js' })) await app.register(clientRoutes);
  if (!app.hasRoute({ method: 'GET', url: '/v1/rooms/:room/badge.svg' })) {
    await app.register(badgeRoutes);
  }
  if (!app.hasRoute({ method: 'GET', url: '/dashboard' })) await app.register(dashboardRoutes);
  return app;
}

/**
 * The store behind the browser suites: the Redis Cluster of the global setup when there is one
 * (as in CI), the embedded store otherwise.
 */
export function storeEnv(): Record<string, string> {
  const urls = inject('redisClusterUrls');
  return urls.length > 0 ? { REDIS_URL: urls.join(','), REDIS_CLUSTER: 'true' } : {};
}

/** The real app on a port chosen by the OS, with its own key prefix and data directory. */
export async function startApi(
  env: Record<string, string> = {},
  { database }: { database?: Database } = {},
): Promise<RunningApi> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hc-browser-'));
  const config = loadConfig({
    REDIS_PREFIX: `hcb${randomBytes(4).toString('hex')}`,
    DATA_DIR: dataDir,
    SNAPSHOT_ENABLED: 'false',
    COUNT_MAX_AGE_S: '0',
    LOG_LEVEL: 'silent',
    PORT: '0',
    // No load shedding and no stretched intervals: the event-loop delay of this process is the
    // machine's load (the browser, other test files), not the API's (as in testConfig).
    SHED_EVENT_LOOP_DELAY_MS: '0',
    STRETCH_EVENT_LOOP_DELAY_MS: '0',
    ...storeEnv(),
    ...env,
  });
  // The archive is not what these suites look at: one in-memory database unless given one.
  const ownDatabase = database ? null : await openTestDatabase('pglite');
  const app = await buildApp({ config, database: database ?? ownDatabase ?? undefined });
  await withClientRoutes(app);
  const received: ReceivedRequest[] = [];
  const byRequest = new WeakMap<object, ReceivedRequest>();
  app.addHook('onRequest', async (request) => {
    const entry: ReceivedRequest = {
      method: request.method,
      path: request.url.split('?')[0]!,
      contentType: request.headers['content-type'],
      ifNoneMatch: request.headers['if-none-match'],
      at: Date.now(),
    };
    received.push(entry);
    byRequest.set(request, entry);
  });
  app.addHook('onResponse', async (request, reply) => {
    const entry = byRequest.get(request);
    if (!entry) return;
    entry.status = reply.statusCode;
    const retryAfter = reply.getHeader('retry-after');
    if (retryAfter !== undefined) entry.retryAfterS = Number(retryAfter);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    app,
    config,
    url: `http://127.0.0.1:${port}`,
    received,
    async close() {
      if (config.redis) await deleteRedisPrefix(config.redis.urls, config.redis.prefix);
      await app.close();
      await closeTestDatabase(ownDatabase ?? undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface PageServer {
  /** http://localhost:port — a different origin from the API on 127.0.0.1. */
  url: string;
  close(): Promise<void>;
}

/** Serves the given HTML pages by path from another origin than the API. */
export async function servePages(pages: Record<string, string>): Promise<PageServer> {
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0]!;
    if (path === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    const page = pages[path];
    if (page === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Polls until check returns a value other than undefined, or fails after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface CountReading {
  sessions: number;
  viewers: number;
  visible: number;
}

/** Reads a room's count through the public route, as a dashboard would. */
export async function readCount(api: RunningApi, room: string): Promise<CountReading> {
  const res = await fetch(`${api.url}/v1/rooms/${encodeURIComponent(room)}/count`);
  if (!res.ok) throw new Error(`count answered ${res.status}`);
  return (await res.json()) as CountReading;
}

export const randomRoom = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

/**
 * Sends a page to the background or brings it back. Headless Chromium keeps every page visible
 * (minimised windows, background tabs and focus emulation all leave visibilityState "visible"),
 * so the document's visibility is overridden and visibilitychange dispatched as a browser would.
 */
export async function setVisibility(page: Page, state: 'visible' | 'hidden'): Promise<void> {
  await page.evaluate((next) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => next });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => next === 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}

/** Collects console errors and uncaught exceptions of a page (CORS failures are console errors). */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}
