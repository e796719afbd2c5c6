// GET /v1/webhooks/deliveries: the admin sees deliveries, retries and dead letters, newest first.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReadings } from '../../src/archive/writer.js';
import type { Database } from '../../src/db/client.js';
import { startDeliveryWorker } from '../../src/webhooks/delivery.js';
import { auth, openArchiveApp } from '../support/archive-app.js';
import { closeTestDatabase, databaseKinds, openTestDatabase, t } from '../support/databases.js';
import { defaultConcentration, livePeriod, reading, roomPrefix } from '../support/readings.js';
import { type Receiver, startReceiver, webhookSecret } from '../support/webhook-receiver.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

describe.each(databaseKinds)('webhook deliveries route on $kind', ({ kind }) => {
  let database: Database;
  let app: FastifyInstance;
  let receiver: Receiver;
  const room = roomPrefix();
  beforeAll(async () => {
    database = await openTestDatabase(kind);
    app = await openArchiveApp(database);
    receiver = await startReceiver();
    receiver.mode = 'failing';
    const start = t('2026-11-24T10:00:05.000Z');
    await writeReadings(
      database.db,
      [
        reading({
          room,
          since: start,
          at: start + 30_000,
          sessions: 2,
          live: livePeriod({ start, peakSessions: 2 }),
        }),
      ],
      { events: { thresholds: [], hysteresis: 0, concentration: defaultConcentration } },
    );
    // One attempt, answered 503: the first event is a dead letter, the second waits behind it.
    const worker = startDeliveryWorker({
      url: receiver.url,
      secret: webhookSecret,
      db: database.db,
      log: silent,
      timeoutMs: 5_000,
      maxAttempts: 1,
      retryBaseMs: 10,
      retryMaxMs: 10,
      pollMs: 60_000,
    });
    await worker.runOnce();
    await worker.stop();
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
    await closeTestDatabase(database);
  });

  it('lists events newest first with their attempts, status and last error', async () => {
    const res = await app.inject({ url: `/v1/webhooks/deliveries?room=${room}`, headers: auth });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { enabled: boolean; deliveries: Record<string, unknown>[] };
    expect(body.enabled).toBe(false);
    expect(body.deliveries.map((d) => [d.type, d.status, d.attempts])).toEqual([
      ['room.peak', 'pending', 0],
      ['room.live', 'dead', 1],
    ]);
    expect(body.deliveries[1]).toMatchObject({
      room,
      last_status: 503,
      last_error: 'HTTP 503',
      next_attempt_at: null,
      delivered_at: null,
    });
    expect(body.deliveries[1]?.payload).toMatchObject({ type: 'room.live', data: { room } });
  });

  it('filters by status and pages with before', async () => {
    const dead = await app.inject({
      url: `/v1/webhooks/deliveries?room=${room}&status=dead`,
      headers: auth,
    });
    const deliveries = (dead.json() as { deliveries: { type: string; seq: number }[] }).deliveries;
    expect(deliveries.map((d) => d.type)).toEqual(['room.live']);
    const older = await app.inject({
      url: `/v1/webhooks/deliveries?room=${room}&before=${deliveries[0]!.seq}`,
      headers: auth,
    });
    expect((older.json() as { deliveries: unknown[] }).deliveries).toEqual([]);
  });

  it('refuses a bad query with 400', async () => {
    const res = await app.inject({ url: '/v1/webhooks/deliveries?status=lost', headers: auth });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'invalid_query' } });
  });

  it('is for the admin: 401 without a token, 403 with a wrong one', async () => {
    const none = await app.inject({ url: '/v1/webhooks/deliveries' });
    expect(none.statusCode).toBe(401);
    expect(none.body).not.toContain('room.live');
    const wrong = await app.inject({
      url: '/v1/webhooks/deliveries',
      headers: { authorization: 'Bearer not-the-admin-token-at-all' },
    });
    expect(wrong.statusCode).toBe(403);
  });
});
