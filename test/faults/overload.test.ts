// An overloaded instance first slows its pages down (past STRETCH_EVENT_LOOP_DELAY_MS it tells them a
// longer interval and ttl), then sheds load: past SHED_EVENT_LOOP_DELAY_MS of event-loop delay, sustained, requests
// get 503 overloaded with Retry-After (health and metrics still answer), and it serves again once
// the delay is gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeat, openApp, type TestApp } from '../support/app.js';
import { sample, scrape } from '../support/metrics.js';

let t: TestApp;
beforeAll(async () => {
  t = await openApp({ SHED_EVENT_LOOP_DELAY_MS: '100', SHED_RETRY_AFTER_S: '3' });
});
afterAll(() => t.close());

/** Keeps the event loop busy in slices of sliceMs for about totalMs, as a CPU-bound overload does. */
async function overload(totalMs: number, sliceMs = 200) {
  const end = Date.now() + totalMs;
  while (Date.now() < end) {
    const sliceEnd = Date.now() + sliceMs;
    while (Date.now() < sliceEnd) {
      // busy
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

it('does not shed after one long synchronous task (not an overload)', async () => {
  const end = Date.now() + 1_500;
  while (Date.now() < end) {
    // busy, once
  }
  // Let the sampler see the block: its delay is far above the limit now.
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(t.app.memoryUsage().eventLoopDelay).toBeGreaterThan(100);
  expect((await heartbeat(t.app, { room: 'load', session: 'session-block-1' })).statusCode).toBe(
    200,
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect((await heartbeat(t.app, { room: 'load', session: 'session-block-2' })).statusCode).toBe(
    200,
  );
});

it('sheds with 503 and Retry-After while overloaded, keeps health and metrics up, then recovers', async () => {
  const app = t.app;
  expect((await heartbeat(app, { room: 'load', session: 'session-load-1' })).statusCode).toBe(200);

  await overload(1_200);
  const shed = await heartbeat(app, { room: 'load', session: 'session-load-2' });
  expect(shed.statusCode).toBe(503);
  expect(shed.headers['retry-after']).toBe('3');
  expect(shed.json()).toMatchObject({ error: { code: 'overloaded' } });
  // A page on another origin can read it, and so its Retry-After.
  expect(shed.headers['access-control-allow-origin']).toBe('*');
  expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  const metrics = await scrape(app);
  expect(sample(metrics, 'headcount_shed_requests_total', { route: '/v1/heartbeat' })).toBe(1);
  expect(
    sample(metrics, 'headcount_heartbeats_total', { outcome: 'refused', reason: 'overloaded' }),
  ).toBe(1);

  // The delay is sampled every 250 ms: a quiet half second later the instance serves again.
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect((await heartbeat(app, { room: 'load', session: 'session-load-3' })).statusCode).toBe(200);
});

describe('before shedding, a loaded instance slows its pages down', () => {
  let slow: TestApp;
  beforeAll(async () => {
    slow = await openApp({
      SHED_EVENT_LOOP_DELAY_MS: '5000',
      STRETCH_EVENT_LOOP_DELAY_MS: '60',
      STRETCH_FACTOR: '3',
      VISIBLE_INTERVAL_S: '1',
      VISIBLE_TTL_S: '2',
    });
  });
  afterAll(() => slow.close());

  it('tells heartbeats a stretched interval and ttl, keeps those sessions as long, and stops once the load is gone', async () => {
    const app = slow.app;
    const quiet = await heartbeat(app, { room: 'stretch', session: 'session-quiet-1' });
    expect(quiet.json()).toMatchObject({ interval: 1, ttl: 2 });

    await overload(1_200, 100);
    const loaded = await heartbeat(app, { room: 'stretch', session: 'session-loaded-1' });
    expect(loaded.statusCode, loaded.body).toBe(200);
    expect(loaded.json()).toMatchObject({ interval: 3, ttl: 6, sessions: 2 });

    // Past the configured ttl the quiet page is gone; the stretched one, told 6 s, is not.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const count = (await app.inject({ url: '/v1/rooms/stretch/count' })).json();
    expect(count).toMatchObject({ sessions: 1, viewers: 1 });

    // The load is gone: pages are told the configured timings again.
    const again = await heartbeat(app, { room: 'stretch', session: 'session-quiet-2' });
    expect(again.json()).toMatchObject({ interval: 1, ttl: 2 });
  });
});
