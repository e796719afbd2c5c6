// An API that refuses (429, rate limited) or cannot answer (503, store down) says when to come
// back with Retry-After; the client waits exactly that long, then is counted again. Both
// failures come from the real app: its per-address rate limit, and a Redis that is not there.
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClientDir } from '../../src/routes/client.js';
import {
  browserAvailable,
  ensureClientBuilt,
  humanContext,
  launchChromium,
  type ReceivedRequest,
  randomRoom,
  readCount,
  servePages,
  startApi,
  waitFor,
} from '../support/browser.js';
import { RedisServer } from '../support/redis-server.js';

/** Timers fire a little early or late; the API's clock and the page's are the same machine's. */
const earlyMs = 150;
const lateMs = 1_500;

/** Pairs each 429/503 heartbeat (or count read) with the one the page sent next. */
function retries(received: ReceivedRequest[], status: number, path = '/v1/heartbeat') {
  const heartbeats = received.filter((r) => r.path === path && r.status !== undefined);
  return heartbeats.flatMap((refused, i) => {
    const next = heartbeats[i + 1];
    return refused.status === status && next
      ? [{ retryAfterS: refused.retryAfterS, waitedMs: next.at - refused.at }]
      : [];
  });
}

function expectRetryAfterHonoured(pairs: ReturnType<typeof retries>): void {
  for (const { retryAfterS, waitedMs } of pairs) {
    expect(retryAfterS).toBeTypeOf('number');
    expect(waitedMs).toBeGreaterThanOrEqual(retryAfterS! * 1000 - earlyMs);
    expect(waitedMs).toBeLessThanOrEqual(retryAfterS! * 1000 + lateMs);
  }
}

/** Ports for throwaway Redis servers of this suite. */
const redisPorts = [6395, 6396, 6397, 6398, 6399];

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function freeRedisPort(): Promise<number> {
  for (const port of redisPorts) if (!(await listening(port))) return port;
  throw new Error(`no free port for a throwaway Redis among ${redisPorts.join(', ')}`);
}

describe.skipIf(!browserAvailable)('a client told to wait', { timeout: 90_000 }, () => {
  let browser: Browser;
  let bundle: string;
  /** Stopped in afterAll too, so that a test that times out leaves no server behind. */
  let redis: RedisServer | undefined;

  beforeAll(async () => {
    await ensureClientBuilt();
    bundle = await readFile(join(defaultClientDir, 'presence.js'), 'utf8');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await redis?.stop();
  });

  it('waits as Retry-After says when rate limited (429), and is counted again after', async () => {
    // Two requests per address per 4 s, one heartbeat and one count read a second: most are
    // refused, heartbeats and count reads alike.
    const api = await startApi({
      HEARTBEAT_INTERVAL_S: '1',
      COUNT_POLL_S: '1',
      HEARTBEAT_TTL_S: '20',
      RATE_LIMIT_MAX: '2',
      RATE_LIMIT_WINDOW_S: '4',
    });
    const room = randomRoom('rate-limited');
    // The script comes inline, so that only heartbeats and count reads count against the API's
    // limit; the page shows the count, so the client reads it between heartbeats.
    const pages = await servePages({
      '/': `<!doctype html><script data-room="${room}" data-endpoint="${api.url}" data-webdriver="true">${bundle}</script>
<script>document.addEventListener('headcount:count', (e) => { document.title = e.detail.viewers; });</script>`,
    });
    const context = await humanContext(browser);
    try {
      const page = await context.newPage();
      await page.goto(pages.url);
      const pairs = await waitFor(
        'two refused heartbeats, each followed by another',
        () => {
          const found = retries(api.received, 429);
          return found.length >= 2 ? found : undefined;
        },
        30_000,
      );
      expectRetryAfterHonoured(pairs);
      expect(pairs.some((p) => p.retryAfterS! >= 2)).toBe(true);
      // The count reads between heartbeats wait as long as the heartbeats do.
      const countPairs = await waitFor(
        'two refused count reads, each followed by another',
        () => {
          const found = retries(api.received, 429, `/v1/rooms/${room}/count`);
          return found.length >= 2 ? found : undefined;
        },
        30_000,
      );
      expectRetryAfterHonoured(countPairs);
      // Between refusals the page is counted.
      await waitFor('a counted heartbeat after a refusal', () => {
        const statuses = api.received
          .filter((r) => r.path === '/v1/heartbeat')
          .map((r) => r.status);
        return statuses.indexOf(200, statuses.indexOf(429)) > 0 ? true : undefined;
      });
    } finally {
      await context.close();
      await pages.close();
      await api.close();
    }
  });

  it('waits as Retry-After says while the store is down (503), and is counted once it is back', async () => {
    // Nothing listens there yet: the API starts with its Redis down.
    redis = new RedisServer(await freeRedisPort());
    const api = await startApi({
      REDIS_URL: redis.url,
      REDIS_CLUSTER: 'false',
      HEARTBEAT_INTERVAL_S: '2',
      HEARTBEAT_TTL_S: '20',
    });
    const room = randomRoom('store-down');
    const pages = await servePages({
      '/': `<!doctype html><script src="${api.url}/presence.js" data-room="${room}" data-webdriver="true"></script>`,
    });
    const context = await humanContext(browser);
    try {
      const page = await context.newPage();
      await page.goto(pages.url);
      // Three waits in a row: an exponential backoff would have grown by the third.
      const pairs = await waitFor(
        'three heartbeats refused with 503, each followed by another',
        () => {
          const found = retries(api.received, 503);
          return found.length >= 3 ? found : undefined;
        },
        30_000,
      );
      expectRetryAfterHonoured(pairs);

      await redis.start();
      await waitFor(
        'the page to be counted once Redis is back',
        async () => ((await readCount(api, room)).sessions === 1 ? true : undefined),
        20_000,
        250,
      );
    } finally {
      await context.close();
      await pages.close();
      await api.close();
      await redis?.stop();
      redis = undefined;
    }
  });
});
