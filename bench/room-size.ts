// Bounded work per room: Redis time per heartbeat in a room of 10, 10 000 and 1 000 000 online
// sessions, measured at the script level (heartbeats sent through the store as the service sends
// them: a tick's heartbeats in one script call, grouped by room), and what one very large room
// asks of its Redis shard at the default interval, with and without the large-room stretch.
//   npx tsx bench/room-size.ts     (its own redis-server on a spare port)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config.js';
import { createRedisClient, waitForReady } from '../src/presence/redis-client.js';
import { RedisPresenceStore } from '../src/presence/redis-store.js';
import { maxStretch, type PresenceRules } from '../src/presence/store.js';
import { RedisServer, sparePort } from '../test/support/redis-server.js';

const run = promisify(execFile);

export interface RoomSizeRow {
  sessions: number;
  /** Redis time per refresh of an online session, µs (INFO commandstats). */
  refreshUs: number;
  /** Redis time per join of a new session, µs. */
  joinUs: number;
}

export interface RoomSizeResult {
  rows: RoomSizeRow[];
  /** A room of 1 000 000 at the default interval: heartbeats a second and the share of one Redis core. */
  millionRoom: { stretch: number; heartbeatsPerS: number; redisCoreShare: number }[];
}

/** Long ttls and a short interval: loaded sessions stay online, and may beat again at once. */
const rules: PresenceRules = {
  visibleTtlMs: 3_600_000,
  hiddenTtlMs: 3_600_000,
  leaveGraceMs: 5_000,
  visibleIntervalMs: 3,
  hiddenIntervalMs: 3,
};

const sizes = [10, 10_000, 1_000_000];
/** Heartbeats measured per row, sent this many at a time (as a busy instance's ticks). */
const measured = 20_000;
const inFlight = 1_000;

const id = (i: number) => i.toString(36).padStart(8, '0');

async function beatAll(store: RedisPresenceStore, room: string, sessions: string[]) {
  for (let i = 0; i < sessions.length; i += inFlight) {
    await Promise.all(
      sessions
        .slice(i, i + inFlight)
        .map((s) => store.heartbeat({ room, session: s, viewer: `v${s}`, state: 'visible' })),
    );
  }
}

export async function roomSizeBench(log: (line: string) => void = console.log) {
  const server = new RedisServer(await sparePort());
  await server.start();
  const client = createRedisClient({ urls: [server.url], cluster: false, timeoutMs: 30_000 });
  const cli = (...args: string[]) => run('redis-cli', ['-p', String(server.port), ...args]);
  /** Redis time per heartbeat since the last reset: all script time over the heartbeats sent. */
  const usPerHeartbeat = async (heartbeats: number) => {
    const { stdout } = await cli('info', 'commandstats');
    return Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(stdout)?.[1]) / heartbeats;
  };
  try {
    await waitForReady(client, 5_000);
    const store = new RedisPresenceStore(client, rules, 'hc', 10_000);
    const rows: RoomSizeRow[] = [];
    let loaded = 0;
    for (const size of sizes) {
      log(`loading a room of ${size.toLocaleString('en')} sessions`);
      await beatAll(
        store,
        'big',
        Array.from({ length: size - loaded }, (_, i) => id(loaded + i)),
      );
      loaded = size;
      // Refreshes: sessions already online, spread over the room.
      const refreshed = Array.from({ length: measured }, (_, i) =>
        id(Math.floor((i * size) / measured) % size),
      );
      await cli('config', 'resetstat');
      await beatAll(store, 'big', refreshed);
      const refreshUs = await usPerHeartbeat(measured);
      // Joins: new sessions (taken out again so that the next row starts at its size).
      const joined = Array.from({ length: measured }, (_, i) => `j${size}-${id(i)}`);
      await cli('config', 'resetstat');
      await beatAll(store, 'big', joined);
      const joinUs = await usPerHeartbeat(measured);
      await client.zrem('hc:{big}:v', ...joined);
      await client.zrem('hc:{big}:w', ...joined.map((s) => `v${s}`));
      rows.push({ sessions: size, refreshUs, joinUs });
      log(`  refresh ${refreshUs.toFixed(2)} µs, join ${joinUs.toFixed(2)} µs per heartbeat`);
    }
    await store.close();

    // One room of 1 000 000 visible sessions at the shipped interval, at the largest room's cost.
    const shipped = loadConfig({ ADMIN_TOKEN: 'bench-admin-token-0123456789' }).rules;
    const refreshUs = rows.at(-1)!.refreshUs;
    const stretches = [
      1,
      Math.min(maxStretch, 1 + Math.floor(1_000_000 / shipped.largeRoomSessions!)),
    ];
    const millionRoom = stretches.map((stretch) => {
      const heartbeatsPerS = 1_000_000 / ((shipped.visibleIntervalMs * stretch) / 1000);
      return { stretch, heartbeatsPerS, redisCoreShare: (heartbeatsPerS * refreshUs) / 1e6 };
    });
    return { rows, millionRoom } satisfies RoomSizeResult;
  } finally {
    client.disconnect();
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await roomSizeBench();
  console.table(result.rows);
  console.table(result.millionRoom);
}
