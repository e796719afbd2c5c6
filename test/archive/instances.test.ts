// The snapshot job as it runs in production: on a schedule, on several instances sharing one Redis
// and one PostgreSQL, and through an outage of PostgreSQL.
import { randomBytes } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { runSnapshot, type SnapshotJob, startSnapshotJob } from '../../src/archive/snapshot.js';
import { type Database, openDatabase } from '../../src/db/client.js';
import { snapshots } from '../../src/db/schema/index.js';
import {
  createRedisClient,
  type RedisClient,
  waitForReady,
} from '../../src/presence/redis-client.js';
import { RedisPresenceStore } from '../../src/presence/redis-store.js';
import { memoryLog } from '../support/archive-log.js';
import { hasPostgres, postgresUrl, uniqueSchema } from '../support/databases.js';
import { redisUrl, requireRedis } from '../support/redis.js';
import { deleteRedisPrefix, fastRules, uniquePrefix } from '../support/stores.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const id = (label: string) => `${label}-${randomBytes(5).toString('hex')}`;
const everySecond = '* * * * * *';

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Sessions kept online by a heartbeat every 350 ms until stopped. */
function keepAlive(store: RedisPresenceStore, room: string, sessions: string[]) {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const session of sessions) await store.heartbeat({ room, session, state: 'visible' });
      await sleep(350);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

const hasRedis = await requireRedis('snapshot instances');

describe.skipIf(!hasRedis || !hasPostgres)(
  'snapshot job on several instances and through outages',
  () => {
    const prefix = uniquePrefix('snap');
    const clients: RedisClient[] = [];
    const stores: RedisPresenceStore[] = [];
    const databases: Database[] = [];
    const jobs: SnapshotJob[] = [];
    let proxy: TcpProxy | undefined;

    const prefixes = new Set<string>();
    const newStore = async (keyPrefix = prefix) => {
      const client = createRedisClient({ urls: [redisUrl], cluster: false, timeoutMs: 2_000 });
      await waitForReady(client, 10_000);
      clients.push(client);
      prefixes.add(keyPrefix);
      const store = new RedisPresenceStore(client, fastRules, keyPrefix);
      stores.push(store);
      return store;
    };
    const newDatabase = async (url: string, schema: string) => {
      const database = await openDatabase({
        databaseUrl: url,
        dataDir: '',
        schema,
        maxConnections: 2,
      });
      databases.push(database);
      return database;
    };
    const rowsOf = (database: Database, room: string) =>
      database.db
        .select()
        .from(snapshots)
        .where(eq(snapshots.room, room))
        .orderBy(asc(snapshots.periodStart));

    afterAll(async () => {
      await Promise.all(jobs.map((j) => j.stop()));
      // Closing writes the room sizes a store still holds: delete the prefixes after it.
      await Promise.all(stores.map((s) => s.close()));
      for (const p of prefixes) await deleteRedisPrefix([redisUrl], p);
      const schemas = new Set(databases.map((d) => d.schema));
      await proxy?.close();
      for (const schema of schemas) {
        const cleaner = await openDatabase({
          databaseUrl: postgresUrl,
          dataDir: '',
          migrate: false,
        });
        await cleaner.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await cleaner.close();
      }
      await Promise.all(databases.map((d) => d.close().catch(() => undefined)));
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    });

    it('archives each period exactly once with two instances on the same Redis and PostgreSQL', {
      timeout: 60_000,
    }, async () => {
      const schema = uniqueSchema();
      const [dbA, dbB] = [
        await newDatabase(postgresUrl, schema),
        await newDatabase(postgresUrl, schema),
      ];
      const [storeA, storeB] = [await newStore(), await newStore()];
      const jobA = startSnapshotJob({
        store: storeA,
        db: dbA!.db,
        log: memoryLog().log,
        cron: everySecond,
      });
      const jobB = startSnapshotJob({
        store: storeB,
        db: dbB!.db,
        log: memoryLog().log,
        cron: everySecond,
      });
      jobs.push(jobA, jobB);

      const rooms = [id('room'), id('room'), id('room')];
      const joined = new Map(rooms.map((r) => [r, new Set<string>()]));
      const started = Date.now();
      // Heartbeats through both instances, new sessions joining now and then, for about 4.5 s.
      for (let tick = 0; tick < 15; tick++) {
        for (const [i, room] of rooms.entries()) {
          const session = id(`s${tick}`);
          joined.get(room)!.add(session);
          await (i % 2 === 0 ? storeA : storeB).heartbeat({ room, session, state: 'visible' });
        }
        await sleep(300);
      }
      await Promise.all([jobA.stop(), jobB.stop()]);
      const seconds = Math.ceil((Date.now() - started) / 1000);
      // One last run, once the lock of the latest one has expired, archives what is left in Redis.
      await sleep(1_000);
      expect(await runSnapshot({ store: storeA, db: dbA!.db, log: memoryLog().log })).toMatchObject(
        {
          status: 'ok',
        },
      );

      for (const room of rooms) {
        const rows = await rowsOf(dbA!, room);
        expect(rows.length).toBeGreaterThanOrEqual(2);
        expect(rows.length).toBeLessThanOrEqual(seconds + 2);
        // Periods follow each other without a gap, an overlap or a second row for any period...
        for (let i = 1; i < rows.length; i++)
          expect(rows[i]!.periodStart).toEqual(rows[i - 1]!.periodEnd);
        // ...so every join is counted exactly once.
        expect(rows.reduce((sum, r) => sum + r.joins, 0)).toBe(joined.get(room)!.size);
      }
      const ok = jobA.runs.ok + jobB.runs.ok;
      expect(ok).toBeGreaterThanOrEqual(2);
      expect(ok).toBeLessThanOrEqual(seconds + 1);
      expect(jobA.runs.skipped + jobB.runs.skipped).toBeGreaterThanOrEqual(1);
    });

    it('keeps counting while PostgreSQL is unreachable, then writes one row covering the whole gap with its true peak', {
      timeout: 60_000,
    }, async () => {
      proxy = await startTcpProxy(Number(new URL(postgresUrl).port || 5432));
      const url = new URL(postgresUrl);
      url.port = String(proxy.port);
      const database = await newDatabase(url.toString(), uniqueSchema());
      const store = await newStore();
      const { log, lines } = memoryLog();
      const job = startSnapshotJob({ store, db: database.db, log, cron: everySecond });
      jobs.push(job);

      const room = id('outage');
      const stopRegular = keepAlive(store, room, [id('regular')]);
      let cutAt = 0;
      let peakAt = 0;
      try {
        await until('a first archived row', async () => (await rowsOf(database, room)).length > 0);

        await proxy.cut();
        cutAt = Date.now();
        // A crowd comes and goes while PostgreSQL is away; heartbeats and counts keep working.
        await sleep(1_200);
        const crowd = [id('c'), id('c'), id('c'), id('c')];
        for (const session of crowd) {
          const outcome = await store.heartbeat({
            room,
            session,
            state: 'visible',
            entry: 'social',
          });
          expect(outcome).toMatchObject({ accepted: true });
        }
        expect(await store.count(room)).toMatchObject({ sessions: 5 });
        peakAt = Date.now();
        await sleep(fastRules.visibleTtlMs + 1_500);
        expect(await store.count(room)).toMatchObject({ sessions: 1 });
        expect(job.runs.failed).toBeGreaterThanOrEqual(2);
        expect(job.lastRun).toMatchObject({ status: 'failed' });
        expect(lines).toContainEqual(expect.objectContaining({ level: 'error' }));

        await proxy.restore();
        const restoredAt = Date.now();
        await until(
          'a run after the outage',
          () => (job.lastSuccess?.at ?? 0) > restoredAt,
          15_000,
        );
      } finally {
        await stopRegular();
        await job.stop();
      }

      const rows = await rowsOf(database, room);
      for (let i = 1; i < rows.length; i++)
        expect(rows[i]!.periodStart).toEqual(rows[i - 1]!.periodEnd);
      const gap = rows.find(
        (r) => r.periodStart.getTime() <= cutAt && r.periodEnd.getTime() >= cutAt + 3_000,
      );
      expect(gap).toBeDefined();
      expect(gap).toMatchObject({ peakSessions: 5, joins: 4 });
      expect(Math.abs(gap!.peakSessionsAt!.getTime() - peakAt)).toBeLessThan(1_000);
      expect(rows.reduce((max, r) => Math.max(max, r.peakSessions), 0)).toBe(5);
    });
    it('fails a run whose database stops answering within the write timeout, leaving the readings in Redis', {
      timeout: 30_000,
    }, async () => {
      const stalling = await startTcpProxy(Number(new URL(postgresUrl).port || 5432));
      const url = new URL(postgresUrl);
      url.port = String(stalling.port);
      const database = await newDatabase(url.toString(), uniqueSchema());
      const store = await newStore(uniquePrefix('stall'));
      const room = id('stall');
      try {
        await store.heartbeat({ room, session: id('s'), state: 'visible' });
        stalling.stall();
        const started = Date.now();
        const run = await runSnapshot({
          store,
          db: database.db,
          log: memoryLog().log,
          writeTimeoutMs: 500,
        });
        expect(run).toMatchObject({
          status: 'failed',
          error: 'the database did not answer within 500 ms',
        });
        expect(Date.now() - started).toBeLessThan(3_000);
        // Nothing was committed to the store: the room is still there to archive.
        expect(await store.roomsToArchive()).toContain(room);
      } finally {
        await stalling.close();
      }
    });
  },
);
