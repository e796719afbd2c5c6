// Webhook delivery against a real receiver that verifies Standard Webhooks signatures: through an
// outage nothing is lost, nothing answered 2xx is sent twice, a room's events arrive in order,
// one instance delivers each event, and an event that keeps failing becomes a dead letter.
import { asc, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReadings } from '../../src/archive/writer.js';
import type { Database } from '../../src/db/client.js';
import { webhookEvents } from '../../src/db/schema/index.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import {
  type DeliveryOptions,
  retryDelayMs,
  startDeliveryWorker,
} from '../../src/webhooks/delivery.js';
import {
  closeSecondInstance,
  closeTestDatabase,
  databaseKinds,
  openTestDatabase,
  secondInstance,
  t,
} from '../support/databases.js';
import { defaultConcentration, livePeriod, reading, roomPrefix } from '../support/readings.js';
import { type Receiver, startReceiver, webhookSecret } from '../support/webhook-receiver.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

/** Fast retries for tests; every wait below is bounded by these. */
const fast = { timeoutMs: 5_000, maxAttempts: 1_000, retryBaseMs: 20, retryMaxMs: 200, pollMs: 20 };
/** The longest a test waits for the outbox to settle, ms. */
const settleMs = 20_000;

/** Writes a room's whole life (live, a new peak, empty): three events per room, in that order. */
async function writeLives(database: Database, rooms: string[]) {
  const start = t('2026-11-24T10:00:05.000Z');
  const end = t('2026-11-24T10:00:50.000Z');
  await writeReadings(
    database.db,
    rooms.map((room) =>
      reading({
        room,
        since: start,
        at: end,
        sessions: 0,
        peakSessions: 4,
        peakSessionsAt: start + 1000,
        closed: [livePeriod({ start, end, peakSessions: 4, peakSessionsAt: start + 1000 })],
      }),
    ),
    { events: { thresholds: [], hysteresis: 0, concentration: defaultConcentration } },
  );
}

async function until(what: string, done: () => Promise<boolean>, boundMs = settleMs) {
  const deadline = Date.now() + boundMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not within ${boundMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.each(databaseKinds)('webhook delivery on $kind', ({ kind }) => {
  let database: Database;
  let receiver: Receiver;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await receiver?.close();
    await closeTestDatabase(database);
  });

  const outbox = (prefix: string) =>
    database.db
      .select()
      .from(webhookEvents)
      .where(like(webhookEvents.room, `${prefix}%`))
      .orderBy(asc(webhookEvents.seq));
  const worker = (extra: Partial<DeliveryOptions> = {}, db = database) =>
    startDeliveryWorker({
      url: receiver.url,
      secret: webhookSecret,
      db: db.db,
      log: silent,
      ...fast,
      ...extra,
    });

  it('loses nothing through a receiver outage and sends nothing twice after a 2xx', async () => {
    receiver = await startReceiver();
    const p = roomPrefix();
    const rooms = Array.from({ length: 6 }, (_, i) => `${p}-${i}`);
    await writeLives(database, rooms);
    const events = await outbox(p);
    expect(events).toHaveLength(18);

    await receiver.down();
    const metrics = createMetrics();
    const w = worker({ metrics });
    try {
      // Down: each room's first event fails with a refused connection and is retried; the
      // room's later events wait behind it.
      const heads = (list: typeof events) => list.filter((e) => e.type === 'room.live');
      await until('retries while the receiver is down', async () =>
        heads(await outbox(p)).every((e) => e.attempts >= 4),
      );
      const during = await outbox(p);
      expect(during.filter((e) => e.status === 'delivered')).toEqual([]);
      expect(during.filter((e) => e.type !== 'room.live').every((e) => e.attempts === 0)).toBe(
        true,
      );
      expect(heads(during).every((e) => /ECONNREFUSED/.test(e.lastError ?? ''))).toBe(true);
      // Back, but failing for a while (503), then well.
      receiver.mode = 'failing';
      await receiver.up();
      await until(
        '503 answers',
        async () => receiver.received.filter((r) => r.status === 503).length >= 6,
      );
      receiver.mode = 'up';
      await until('every event delivered', async () =>
        (await outbox(p)).every((e) => e.status === 'delivered'),
      );
    } finally {
      await w.stop();
    }

    expect(receiver.rejected).toEqual([]);
    const ok = receiver.received.filter((r) => r.status < 300 && r.room.startsWith(p));
    // Each event once, none lost.
    expect(ok.map((r) => r.id).sort()).toEqual(events.map((e) => e.id).sort());
    // In order per room: live, peak, empty.
    for (const room of rooms) {
      expect(ok.filter((r) => r.room === room).map((r) => r.type)).toEqual([
        'room.live',
        'room.peak',
        'room.empty',
      ]);
    }
    const delivered = await metrics.registry.getSingleMetricAsString(
      'headcount_webhook_deliveries_total',
    );
    expect(delivered).toContain('outcome="delivered"} 6');
    expect(delivered).toMatch(/type="room.live",outcome="failed"} \d+/);
  });

  it('delivers each event once with two instances polling one outbox', async () => {
    receiver = await startReceiver(5);
    const p = roomPrefix();
    const rooms = Array.from({ length: 10 }, (_, i) => `${p}-${i}`);
    await writeLives(database, rooms);
    const other = await secondInstance(database);
    const workers = [worker({ batchSize: 3 }), worker({ batchSize: 3 }, other)];
    try {
      await until('every event delivered', async () =>
        (await outbox(p)).every((e) => e.status === 'delivered'),
      );
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await closeSecondInstance(other, database);
    }
    const ok = receiver.received.filter((r) => r.room.startsWith(p));
    expect(ok).toHaveLength(30);
    expect(new Set(ok.map((r) => r.id)).size).toBe(30);
    for (const room of rooms) {
      expect(ok.filter((r) => r.room === room).map((r) => r.type)).toEqual([
        'room.live',
        'room.peak',
        'room.empty',
      ]);
    }
    expect((await outbox(p)).every((e) => e.attempts === 1)).toBe(true);
  });

  it('gives up after the configured attempts, each bounded by the timeout, and keeps the dead letter', async () => {
    receiver = await startReceiver();
    receiver.mode = 'hanging';
    const p = roomPrefix();
    await writeLives(database, [`${p}-dead`]);
    const w = worker({ timeoutMs: 150, maxAttempts: 2 });
    const started = Date.now();
    try {
      await until(
        'every event dead',
        async () => (await outbox(p)).every((e) => e.status === 'dead'),
        10_000,
      );
    } finally {
      await w.stop();
    }
    // Three events, two attempts each, one room at a time: bounded by the timeout, not by the receiver.
    expect(Date.now() - started).toBeLessThan(6 * 150 + 8_000);
    for (const e of await outbox(p)) {
      expect(e).toMatchObject({ status: 'dead', attempts: 2, lastStatus: null, deliveredAt: null });
      expect(e.lastError).toMatch(/no answer within 150 ms/);
    }
  });
});

describe('retry delay', () => {
  it('doubles from the base up to the cap, with up to half of it random', () => {
    expect(retryDelayMs(1, 1_000, 60_000, 1)).toBe(1_000);
    expect(retryDelayMs(1, 1_000, 60_000, 0)).toBe(500);
    expect(retryDelayMs(4, 1_000, 60_000, 1)).toBe(8_000);
    expect(retryDelayMs(20, 1_000, 60_000, 1)).toBe(60_000);
    expect(retryDelayMs(20, 1_000, 60_000, 0)).toBe(30_000);
  });
});
