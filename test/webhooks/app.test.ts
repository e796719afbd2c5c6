// Webhooks through the whole service: heartbeats, a snapshot, and signed events at the receiver.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { heartbeat, openApp, type TestApp } from '../support/app.js';
import { type Receiver, startReceiver, webhookSecret } from '../support/webhook-receiver.js';

let t: TestApp;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  t = await openApp({
    WEBHOOK_URL: receiver.url,
    WEBHOOK_SECRET: webhookSecret,
    WEBHOOK_THRESHOLDS: '2',
    // Every test heartbeat comes from one address: two sessions make a concentrated room.
    CONCENTRATION_MIN_SESSIONS: '2',
    WEBHOOK_POLL_MS: '20',
    SNAPSHOT_ENABLED: 'true',
    // Never on its own: the test runs the snapshot.
    SNAPSHOT_CRON: '0 0 1 1 *',
  });
});
afterAll(async () => {
  await t?.close();
  await receiver?.close();
});

it('sends room.live, room.peak, room.threshold and room.concentrated, signed, after the snapshot that saw them', async () => {
  const room = `webhooks-${Date.now()}`;
  await heartbeat(t.app, { room, session: 'session-webhook-1' });
  await heartbeat(t.app, { room, session: 'session-webhook-2' });
  expect(receiver.received.filter((r) => r.room === room)).toEqual([]);
  const run = await t.app.snapshot!.runNow();
  expect(run.status).toBe('ok');
  const deadline = Date.now() + 10_000;
  while (receiver.received.filter((r) => r.room === room).length < 4 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(receiver.rejected).toEqual([]);
  expect(receiver.received.filter((r) => r.room === room).map((r) => r.type)).toEqual([
    'room.live',
    'room.peak',
    'room.threshold',
    'room.concentrated',
  ]);
});
