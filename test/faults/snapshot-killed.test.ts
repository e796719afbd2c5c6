// An instance killed with SIGKILL in the middle of a snapshot (lock taken, rooms read, the write to
// PostgreSQL in flight): nothing is committed on either side, and the next run, once the lock
// has expired, covers the whole period with one row per room and the true peak.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { asc, like } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { runSnapshot, SNAPSHOT_LOCK } from '../../src/archive/snapshot.js';
import { type Database, openDatabase } from '../../src/db/client.js';
import { snapshots } from '../../src/db/schema/index.js';
import {
  createRedisClient,
  type RedisClient,
  waitForReady,
} from '../../src/presence/redis-client.js';
import { RedisPresenceStore } from '../../src/presence/redis-store.js';
import { closeTestDatabase, hasPostgres, postgresUrl, uniqueSchema } from '../support/databases.js';
import { redisUrl, requireRedis } from '../support/redis.js';
import { deletePrefix, fastRules, uniquePrefix } from '../support/stores.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const hasRedis = await requireRedis('snapshot killed');
const root = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const lockTtlMs = 1_500;

describe.skipIf(!hasRedis || !hasPostgres)('SIGKILL in the middle of a snapshot', () => {
  const prefix = uniquePrefix('kill');
  let client: RedisClient | undefined;
  let database: Database | undefined;
  let proxy: TcpProxy | undefined;
  afterAll(async () => {
    if (client) {
      await deletePrefix(client, prefix);
      client.disconnect();
    }
    await proxy?.close();
    await closeTestDatabase(database);
  });

  it('loses nothing and writes no row twice', { timeout: 90_000 }, async () => {
    client = createRedisClient({ urls: [redisUrl], cluster: false, timeoutMs: 2_000 });
    await waitForReady(client, 10_000);
    const store = new RedisPresenceStore(client, fastRules, prefix);
    database = await openDatabase({
      databaseUrl: postgresUrl,
      dataDir: '',
      schema: uniqueSchema('kill'),
    });
    const rooms = ['a', 'b', 'c'].map((r) => `${prefix}-${r}`);
    for (const [i, room] of rooms.entries()) {
      for (let s = 0; s <= i; s++)
        await store.heartbeat({ room, session: `${room}-session-${s}`, state: 'visible' });
    }

    // The victim reaches PostgreSQL through a proxy that stops answering: its write hangs.
    proxy = await startTcpProxy(Number(new URL(postgresUrl).port || 5432));
    proxy.stall();
    const url = new URL(postgresUrl);
    url.port = String(proxy.port);
    const victim = spawn(process.execPath, ['--import', 'tsx', 'test/support/snapshot-child.ts'], {
      cwd: root,
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        DATABASE_URL: url.toString(),
        SCHEMA: database.schema,
        LOCK_TTL_MS: String(lockTtlMs),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      victim.once('exit', (_code, signal) => resolve(signal)),
    );
    // Once the victim holds the lock, give it a moment to read the rooms, then kill it.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const token = await store.tryLock(SNAPSHOT_LOCK, 50);
      if (token === null) break;
      await store.unlock(SNAPSHOT_LOCK, token);
      if (Date.now() > deadline) throw new Error('the victim never took the lock');
      await sleep(20);
    }
    await sleep(300);
    victim.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // Nothing reached PostgreSQL, and everything is still in the store.
    const rowsOf = () =>
      database!.db
        .select()
        .from(snapshots)
        .where(like(snapshots.room, `${prefix}%`))
        .orderBy(asc(snapshots.room));
    expect(await rowsOf()).toEqual([]);
    expect((await store.roomsToArchive()).sort()).toEqual(rooms);

    // The next run waits out the dead instance's lock, then archives the whole period.
    await sleep(lockTtlMs);
    const run = await runSnapshot({ store, db: database.db, log: silent });
    expect(run).toMatchObject({ status: 'ok', written: 3 });
    const again = await runSnapshot({ store, db: database.db, log: silent });
    expect(again.status).toBe('ok');
    const rows = await rowsOf();
    const firstRows = rows.filter(
      (r) =>
        r.periodEnd.getTime() ===
        Math.min(...rows.filter((x) => x.room === r.room).map((x) => x.periodEnd.getTime())),
    );
    expect(firstRows.map((r) => [r.room, r.peakSessions, r.joins])).toEqual([
      [rooms[0], 1, 1],
      [rooms[1], 2, 2],
      [rooms[2], 3, 3],
    ]);
    // One row per room per run: no period written twice.
    expect(new Set(rows.map((r) => `${r.room}@${r.periodStart.toISOString()}`)).size).toBe(
      rows.length,
    );
  });
});
