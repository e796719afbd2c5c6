// Two instances of the service on one Redis and one PostgreSQL, both archiving and both delivering
// webhooks: one snapshot row per room per period, and each webhook event delivered once, in order
// per room.
import { asc, like } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { type Database, openDatabase } from '../../src/db/client.js';
import { snapshots, webhookEvents } from '../../src/db/schema/index.js';
import { browserAgent } from '../support/app.js';
import { closeTestDatabase, hasPostgres, postgresUrl, uniqueSchema } from '../support/databases.js';
import { redisUrl, requireRedis } from '../support/redis.js';
import { deleteRedisPrefix, testConfig, uniquePrefix } from '../support/stores.js';
import { type Receiver, startReceiver, webhookSecret } from '../support/webhook-receiver.js';

const hasRedis = await requireRedis('instances and webhooks');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!hasRedis || !hasPostgres)('two instances, one Redis, one PostgreSQL', () => {
  const prefix = uniquePrefix('two');
  const schema = uniqueSchema('two');
  const apps: FastifyInstance[] = [];
  const databases: Database[] = [];
  let receiver: Receiver | undefined;
  afterAll(async () => {
    await deleteRedisPrefix([redisUrl], prefix);
    for (const app of apps) await app.close();
    await Promise.all(databases.slice(1).map((d) => d.close()));
    await closeTestDatabase(databases[0]);
    await receiver?.close();
  });

  it('archives each period once and delivers each event once', { timeout: 90_000 }, async () => {
    receiver = await startReceiver();
    for (let i = 0; i < 2; i++) {
      const database = await openDatabase({
        databaseUrl: postgresUrl,
        dataDir: '',
        schema,
        maxConnections: 3,
        migrate: i === 0,
      });
      databases.push(database);
      const app = await buildApp({
        database,
        config: testConfig({
          REDIS_URL: redisUrl,
          REDIS_PREFIX: prefix,
          SNAPSHOT_ENABLED: 'true',
          SNAPSHOT_CRON: '* * * * * *',
          VISIBLE_INTERVAL_S: '1',
          VISIBLE_TTL_S: '2',
          WEBHOOK_URL: receiver.url,
          WEBHOOK_SECRET: webhookSecret,
          WEBHOOK_THRESHOLDS: '2',
          WEBHOOK_POLL_MS: '50',
        }),
      });
      await app.ready();
      apps.push(app);
    }
    const rooms = Array.from({ length: 4 }, (_, i) => `${prefix}-room-${i}`);
    // Three seconds of heartbeats, each through either instance, then silence until every room
    // has emptied and its room.empty is delivered.
    const until = Date.now() + 3_000;
    let n = 0;
    while (Date.now() < until) {
      for (const room of rooms) {
        for (const s of [1, 2, 3]) {
          const app = apps[n++ % 2]!;
          const response = await app.inject({
            method: 'POST',
            url: '/v1/heartbeat',
            headers: { 'content-type': 'application/json', 'user-agent': browserAgent },
            payload: { room, session: `${room}-session-${s}` },
          });
          expect([200, 429]).toContain(response.statusCode);
        }
      }
      await sleep(400);
    }
    const outbox = () =>
      databases[0]!.db
        .select()
        .from(webhookEvents)
        .where(like(webhookEvents.room, `${prefix}%`))
        .orderBy(asc(webhookEvents.seq));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const events = await outbox();
      const emptied = new Set(events.filter((e) => e.type === 'room.empty').map((e) => e.room));
      if (emptied.size === rooms.length && events.every((e) => e.status === 'delivered')) break;
      if (Date.now() > deadline)
        throw new Error(
          `not settled: ${JSON.stringify(events.map((e) => [e.room, e.type, e.status]))}`,
        );
      await sleep(200);
    }

    const events = await outbox();
    const received = receiver.received.filter((r) => r.room.startsWith(prefix));
    expect(receiver.rejected).toEqual([]);
    expect(received.every((r) => r.status === 204)).toBe(true);
    // Each event once, none lost, each in one attempt, in order per room.
    expect(received.map((r) => r.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(events.every((e) => e.attempts === 1)).toBe(true);
    for (const room of rooms) {
      const sent = received.filter((r) => r.room === room).map((r) => r.id);
      expect(sent).toEqual(events.filter((e) => e.room === room).map((e) => e.id));
      const types = events.filter((e) => e.room === room).map((e) => e.type);
      expect(types[0]).toBe('room.live');
      expect(types.at(-1)).toBe('room.empty');
      expect(types).toContain('room.threshold');
    }
    // One row per room per period: no two rows of a room overlap.
    const rows = await databases[0]!.db
      .select()
      .from(snapshots)
      .where(like(snapshots.room, `${prefix}%`))
      .orderBy(asc(snapshots.room), asc(snapshots.periodStart));
    expect(rows.length).toBeGreaterThanOrEqual(rooms.length * 2);
    for (let i = 1; i < rows.length; i++) {
      const [a, b] = [rows[i - 1]!, rows[i]!];
      if (a.room === b.room)
        expect(b.periodStart.getTime()).toBeGreaterThanOrEqual(a.periodEnd.getTime());
    }
  });
});
