// The presence rules on Redis: a TTL key per session, sorted sets per room counted by range,
// one Lua script per operation (registered once with defineCommand), Redis TIME everywhere.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Cluster, type Result } from 'ioredis';
import { lockKey, roomIndexKey, roomKeys, viewerMember } from './keys.js';
import type { RedisClient } from './redis-client.js';
import { commitPayload, parseCount, parseHeartbeat, parseLeave, parseReadings } from './replies.js';
import type {
  ActiveRoom,
  Heartbeat,
  HeartbeatOutcome,
  LeaveOutcome,
  PresenceRules,
  PresenceStore,
  RoomCount,
  RoomReading,
} from './store.js';
import { guard } from './unavailable.js';

// Scripts live in src/presence/lua; this path resolves from src/ and from dist/ alike.
const luaDir = fileURLToPath(new URL('../../src/presence/lua/', import.meta.url));
const lua = (file: string) => readFileSync(`${luaDir}${file}`, 'utf8');
/** A script that uses the shared clock, live-period end and viewer bookkeeping of lib.lua. */
const withLib = (file: string) => `${lua('lib.lua')}\n${lua(file)}`;

/** Keys per room of the archive scripts (read-rooms.lua, commit-rooms.lua). */
const archiveKeysPerRoom = 8;

/** Rooms per archive script call on a single Redis. */
const archiveBatchSize = 100;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    hcHeartbeat(...keysAndArgs: (string | number)[]): Result<number[], Context>;
    hcLeave(...keysAndArgs: (string | number)[]): Result<number[], Context>;
    hcCount(...keys: string[]): Result<number[], Context>;
    hcRead(numberOfKeys: number, ...keys: string[]): Result<string, Context>;
    hcReadRoom(...keys: string[]): Result<string, Context>;
    hcCommit(numberOfKeys: number, ...keysAndArgs: string[]): Result<number[], Context>;
    hcCommitRoom(...keysAndArgs: string[]): Result<number[], Context>;
    hcUnlock(key: string, token: string): Result<number, Context>;
    hcForget(key: string, ...roomsAndTimes: (string | number)[]): Result<number, Context>;
  }
}

function defineScripts(redis: RedisClient) {
  redis.defineCommand('hcHeartbeat', { numberOfKeys: 8, lua: withLib('heartbeat-8.lua') });
  redis.defineCommand('hcLeave', { numberOfKeys: 4, lua: withLib('leave-4.lua') });
  redis.defineCommand('hcCount', { numberOfKeys: 4, lua: withLib('count-4.lua') });
  // Any number of rooms, 8 keys each: the caller passes the number of keys first.
  redis.defineCommand('hcRead', { lua: withLib('read-rooms.lua') });
  redis.defineCommand('hcCommit', { lua: withLib('commit-rooms.lua') });
  // The same scripts for one room, for Cluster: ioredis routes an auto-pipelined command by its
  // first argument, which must then be a key, not the number of keys.
  redis.defineCommand('hcReadRoom', {
    numberOfKeys: archiveKeysPerRoom,
    lua: withLib('read-rooms.lua'),
  });
  redis.defineCommand('hcCommitRoom', {
    numberOfKeys: archiveKeysPerRoom,
    lua: withLib('commit-rooms.lua'),
  });
  redis.defineCommand('hcUnlock', { numberOfKeys: 1, lua: lua('unlock-1.lua') });
  redis.defineCommand('hcForget', { numberOfKeys: 1, lua: lua('forget-rooms-1.lua') });
}

export class RedisPresenceStore implements PresenceStore {
  readonly kind = 'redis';
  private readonly index: string;
  private readonly cluster: boolean;

  constructor(
    private readonly redis: RedisClient,
    private readonly rules: PresenceRules,
    private readonly prefix: string,
  ) {
    defineScripts(redis);
    this.index = roomIndexKey(prefix);
    this.cluster = redis instanceof Cluster;
  }

  heartbeat(hb: Heartbeat): Promise<HeartbeatOutcome> {
    const k = roomKeys(this.prefix, hb.room);
    const { rules } = this;
    return guard(async () => {
      const { outcome, created } = parseHeartbeat(
        await this.redis.hcHeartbeat(
          k.sessionPrefix + hb.session,
          k.visible,
          k.hidden,
          k.viewers,
          k.period,
          k.live,
          k.uniques,
          k.closed,
          hb.session,
          viewerMember(hb.session, hb.viewer),
          hb.state === 'visible' ? 'v' : 'h',
          rules.visibleTtlMs,
          rules.hiddenTtlMs,
          rules.visibleIntervalMs,
          rules.hiddenIntervalMs,
          hb.entry ?? '',
          k.tabsPrefix,
          hb.limitViewerSessions ? (rules.maxSessionsPerViewer ?? 0) : 0,
          hb.stretch ?? 1,
        ),
      );
      // Once per room (again after the archive forgot it): the room index is a key of its own
      // slot on Cluster, so it cannot live inside the room's script.
      if (created) await this.redis.zadd(this.index, outcome.at, hb.room);
      return outcome;
    });
  }

  leave(room: string, session: string): Promise<LeaveOutcome> {
    const k = roomKeys(this.prefix, room);
    return guard(async () =>
      parseLeave(
        await this.redis.hcLeave(
          k.sessionPrefix + session,
          k.visible,
          k.hidden,
          k.viewers,
          session,
          this.rules.leaveGraceMs,
          k.tabsPrefix,
        ),
      ),
    );
  }

  count(room: string): Promise<RoomCount> {
    const k = roomKeys(this.prefix, room);
    return guard(async () =>
      parseCount(await this.redis.hcCount(k.visible, k.hidden, k.viewers, k.live)),
    );
  }

  async counts(rooms: readonly string[]): Promise<Map<string, RoomCount>> {
    const counts = await Promise.all(rooms.map((room) => this.count(room)));
    return new Map(rooms.map((room, i) => [room, counts[i]!]));
  }

  async activeRooms(limit: number): Promise<ActiveRoom[]> {
    // Every room with something the archive has not taken yet; the counts decide which are active.
    const rooms = await this.roomsToArchive();
    const counts = await this.counts(rooms);
    return [...counts]
      .map(([room, count]) => ({ room, ...count }))
      .filter((r) => r.sessions > 0)
      .sort((a, b) => b.sessions - a.sessions || a.room.localeCompare(b.room))
      .slice(0, limit);
  }

  now(): Promise<number> {
    return guard(async () => {
      const [s, us] = await this.redis.time();
      return Number(s) * 1000 + Math.floor(Number(us) / 1000);
    });
  }

  async ping(): Promise<void> {
    await guard(() => this.redis.ping());
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  roomsToArchive(): Promise<string[]> {
    return guard(() => this.redis.zrange(this.index, 0, -1));
  }

  /** The archive keys of a room, in the order of read-rooms.lua and commit-rooms.lua. */
  private archiveKeys(room: string): string[] {
    const k = roomKeys(this.prefix, room);
    return [k.visible, k.hidden, k.viewers, k.period, k.pending, k.live, k.uniques, k.closed];
  }

  /**
   * Rooms in groups that one script call may touch: on a single Redis a batch of many rooms,
   * on Cluster one room (each room is its own slot), sent together by auto-pipelining.
   */
  private batches<T>(items: readonly T[]): T[][] {
    const size = this.cluster ? 1 : archiveBatchSize;
    const batches: T[][] = [];
    for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
    return batches;
  }

  readRooms(rooms: readonly string[]): Promise<RoomReading[]> {
    return guard(async () => {
      const batches = this.batches(rooms);
      const replies = await Promise.all(
        batches.map((batch) => {
          const keys = batch.flatMap((room) => this.archiveKeys(room));
          return this.cluster
            ? this.redis.hcReadRoom(...keys)
            : this.redis.hcRead(keys.length, ...keys);
        }),
      );
      const read = batches.map((batch, i) => parseReadings(batch, replies[i]!));
      // Rooms with nothing to archive leave the index; a heartbeat puts a room back.
      const idle = read.flatMap((b) => b.idle.flatMap(({ room, at }) => [room, at]));
      if (idle.length > 0) await this.redis.hcForget(this.index, ...idle);
      return read.flatMap((b) => b.readings);
    });
  }

  commitReadings(readings: readonly RoomReading[]): Promise<void> {
    return guard(async () => {
      const flags = await Promise.all(
        this.batches(readings).map((batch) => {
          const keys = batch.flatMap((r) => this.archiveKeys(r.room));
          const args = batch.map(commitPayload);
          return this.cluster
            ? this.redis.hcCommitRoom(...keys, ...args)
            : this.redis.hcCommit(keys.length, ...keys, ...args);
        }),
      );
      // Only rooms not brought back by a heartbeat since their reading leave the index.
      const forgettable = flags.flat();
      const forget = readings.flatMap((r, i) => (forgettable[i] === 1 ? [r.room, r.at] : []));
      if (forget.length > 0) await this.redis.hcForget(this.index, ...forget);
    });
  }

  async tryLock(name: string, ttlMs: number): Promise<string | null> {
    const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    const ok = await guard(() =>
      this.redis.set(lockKey(this.prefix, name), token, 'PX', ttlMs, 'NX'),
    );
    return ok === 'OK' ? token : null;
  }

  async unlock(name: string, token: string): Promise<void> {
    await guard(() => this.redis.hcUnlock(lockKey(this.prefix, name), token));
  }
}
