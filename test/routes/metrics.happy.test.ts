// /metrics: valid Prometheus text (promtool), and numbers that move with the requests made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAgent, heartbeat, openApp, type TestApp } from '../support/app.js';
import { hasPromtool, promtoolCheckMetrics, sample, scrape } from '../support/metrics.js';
import { redisUrl, requireRedis } from '../support/redis.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const botAgent = 'Googlebot/2.1 (+http://www.google.com/bot.html)';

describe.each([
  { kind: 'embedded', redis: false },
  { kind: 'redis', redis: true },
])('/metrics on the $kind store', ({ kind, redis }) => {
  let t: TestApp | undefined;
  beforeAll(async () => {
    if (redis && !(await requireRedis(`metrics (${kind})`))) return;
    // A schedule that never fires on its own: the test runs the snapshot itself.
    t = await openApp({ SNAPSHOT_ENABLED: 'true', SNAPSHOT_CRON: '0 0 1 1 *' }, { redis });
  });
  afterAll(() => t?.close());

  it.skipIf(!hasPromtool)('passes promtool check metrics', async (ctx) => {
    if (!t) return ctx.skip();
    await heartbeat(t.app, { room: 'lint', session: 'session-lint-1' });
    const { status, problems } = promtoolCheckMetrics(await scrape(t.app));
    // Every series, prom-client's default ones included: parsed and without a lint finding.
    expect(problems).toEqual([]);
    expect(status).toBe(0);
  });

  it('counts heartbeats by outcome and refusal reason', async (ctx) => {
    if (!t) return ctx.skip();
    const app = t.app;
    const before = await scrape(app);
    const counted = (text: string) =>
      sample(text, 'headcount_heartbeats_total', { outcome: 'counted' });
    const bot = (text: string) => sample(text, 'headcount_heartbeats_total', { outcome: 'bot' });
    const refused = (text: string, reason: string) =>
      sample(text, 'headcount_heartbeats_total', { outcome: 'refused', reason });

    expect((await heartbeat(app, { room: 'moves', session: 'session-moves-1' })).statusCode).toBe(
      200,
    );
    expect((await heartbeat(app, { room: 'moves', session: 'session-moves-2' })).statusCode).toBe(
      200,
    );
    // The same session again at once is too fast.
    expect((await heartbeat(app, { room: 'moves', session: 'session-moves-2' })).statusCode).toBe(
      429,
    );
    expect(
      (await heartbeat(app, { room: 'bad room!', session: 'session-moves-3' })).statusCode,
    ).toBe(400);
    const asBot = await app.inject({
      method: 'POST',
      url: '/v1/heartbeat',
      headers: { 'content-type': 'application/json', 'user-agent': botAgent },
      payload: { room: 'moves', session: 'session-moves-4' },
    });
    expect(asBot.json()).toMatchObject({ counted: false });

    const after = await scrape(app);
    expect(counted(after) - counted(before)).toBe(2);
    expect(bot(after) - bot(before)).toBe(1);
    expect(refused(after, 'rate_limited') - refused(before, 'rate_limited')).toBe(1);
    expect(refused(after, 'invalid_room') - refused(before, 'invalid_room')).toBe(1);
  });

  it('measures request latency per route and status, and store calls per command', async (ctx) => {
    if (!t) return ctx.skip();
    const app = t.app;
    const requests = (text: string, status: string) =>
      sample(text, 'headcount_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/v1/rooms/:room/count',
        status_code: status,
      });
    const storeCounts = (text: string) =>
      sample(text, 'headcount_store_command_duration_seconds_count', { command: 'count' });
    const before = await scrape(app);
    for (let i = 0; i < 3; i++) await app.inject({ url: '/v1/rooms/latency/count' });
    await app.inject({ url: '/v1/rooms/bad%20room/count' });
    const after = await scrape(app);
    expect(requests(after, '200') - requests(before, '200')).toBe(3);
    expect(requests(after, '400') - requests(before, '400')).toBe(1);
    expect(storeCounts(after) - storeCounts(before)).toBe(3);
    expect(
      sample(after, 'headcount_http_request_duration_seconds_count', {
        route: 'unmatched',
        status_code: '404',
      }),
    ).toBe(0);
    await app.inject({ url: '/no/such/route' });
    expect(
      sample(await scrape(app), 'headcount_http_request_duration_seconds_count', {
        route: 'unmatched',
        status_code: '404',
      }),
    ).toBe(1);
  });

  it('reports snapshot runs, rows, active rooms and online sessions', async (ctx) => {
    if (!t) return ctx.skip();
    const app = t.app;
    await heartbeat(app, { room: 'snap-a', session: 'session-snap-1' });
    await heartbeat(app, { room: 'snap-a', session: 'session-snap-2' });
    await heartbeat(app, { room: 'snap-b', session: 'session-snap-3' });
    const before = await scrape(app);
    const run = await app.snapshot!.runNow();
    expect(run.status).toBe('ok');
    const after = await scrape(app);
    const ok = (text: string) => sample(text, 'headcount_snapshot_runs_total', { status: 'ok' });
    expect(ok(after) - ok(before)).toBe(1);
    expect(
      sample(after, 'headcount_snapshot_rows_total') -
        sample(before, 'headcount_snapshot_rows_total'),
    ).toBe(run.written);
    expect(run.written).toBeGreaterThanOrEqual(2);
    // Every room the other tests beat in is still online (long default TTLs).
    expect(sample(after, 'headcount_active_rooms')).toBe(run.online?.rooms);
    expect(sample(after, 'headcount_online_sessions')).toBe(run.online?.sessions);
    expect(run.online?.rooms).toBeGreaterThanOrEqual(2);
    expect(run.online?.sessions).toBeGreaterThanOrEqual(3);
    expect(sample(after, 'headcount_snapshot_last_success_timestamp_seconds')).toBeCloseTo(
      run.at / 1000,
      0,
    );
    expect(sample(after, 'headcount_snapshot_duration_seconds_count')).toBe(
      sample(before, 'headcount_snapshot_duration_seconds_count') + 1,
    );
  });

  it('exposes event-loop delay and process metrics', async (ctx) => {
    if (!t) return ctx.skip();
    const text = await scrape(t.app);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
  });
});

describe('/metrics of concentration by client address', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp({
      SNAPSHOT_ENABLED: 'true',
      SNAPSHOT_CRON: '0 0 1 1 *',
      CONCENTRATION_SHARE: '0.5',
      CONCENTRATION_MIN_SESSIONS: '4',
    });
  });
  afterAll(() => t.close());

  /** Sessions opened in the room from one client address. */
  const open = async (room: string, remoteAddress: string, count: number) => {
    for (let i = 0; i < count; i++) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/heartbeat',
        remoteAddress,
        headers: { 'content-type': 'application/json', 'user-agent': browserAgent },
        payload: { room, session: `session-${room}-${remoteAddress}-${i}` },
      });
      expect(response.statusCode).toBe(200);
    }
  };

  it('reports the concentrated rooms and the busiest share of the latest snapshot, never a room', async () => {
    const before = await scrape(t.app);
    expect(sample(before, 'headcount_concentrated_rooms')).toBe(0);
    expect(sample(before, 'headcount_busiest_address_share')).toBe(0);

    await open('packed', '10.0.0.1', 3);
    await open('packed', '10.0.0.2', 1);
    for (const address of ['10.0.1.1', '10.0.1.2', '10.0.1.3', '10.0.1.4'])
      await open('spread', address, 1);
    // Wholly one address, but under CONCENTRATION_MIN_SESSIONS: in neither gauge.
    await open('tiny', '10.0.2.1', 3);
    const run = await t.app.snapshot!.runNow();
    expect(run).toMatchObject({ status: 'ok', concentration: { rooms: 1, busiestShare: 0.75 } });

    const after = await scrape(t.app);
    expect(sample(after, 'headcount_concentrated_rooms')).toBe(1);
    expect(sample(after, 'headcount_busiest_address_share')).toBe(0.75);
    // No label on either: one series each, whatever the number of rooms.
    expect(after).toMatch(/^headcount_concentrated_rooms 1$/m);
    expect(after).toMatch(/^headcount_busiest_address_share 0\.75$/m);
    expect(after).not.toMatch(/packed|spread|tiny/);
  });
});

describe('/metrics when the store fails', () => {
  it('counts store errors and heartbeats refused as store_unavailable', async (ctx) => {
    if (!(await requireRedis('metrics (store errors)'))) return ctx.skip();
    const proxy = await startTcpProxy(Number(new URL(redisUrl).port || 6379));
    const t = await openApp(
      { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, STORE_TIMEOUT_MS: '300' },
      { redis: true },
    );
    try {
      const before = await scrape(t.app);
      await proxy.cut();
      const response = await heartbeat(t.app, { room: 'down', session: 'session-down-1' });
      expect(response.statusCode).toBe(503);
      const after = await scrape(t.app);
      const errors = (text: string) =>
        sample(text, 'headcount_store_errors_total', {
          command: 'heartbeat',
          error: 'StoreUnavailableError',
        });
      const refused = (text: string) =>
        sample(text, 'headcount_heartbeats_total', {
          outcome: 'refused',
          reason: 'store_unavailable',
        });
      expect(errors(after) - errors(before)).toBe(1);
      expect(refused(after) - refused(before)).toBe(1);
    } finally {
      await proxy.restore();
      await t.close();
      await proxy.close();
    }
  });
});
