// The presence rules on Redis: a TTL key per session, sorted sets per room counted by range,
// one Lua script per operation (registered once with defineCommand), Redis TIME everywhere.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Cluster, type Result } from 'ioredis';
import {
  type HeartbeatCall,
  heartbeatCalls,
  type QueuedHeartbeat,
  roomSlot,
  TickQueue,
} from './heartbeat-batches.js';
import { lockKey, roomIdsKey, roomIndexKey, roomKeys, roomSizesKey, viewerMember } from './keys.js';
import type { RedisClient } from './redis-client.js';
import {
  commitPayload,
  parseCount,
  parseHeartbeats,
  parseLeave,
  parseReadings,
} from './replies.js';
import { countBudget, type IndexChunk, type Indexed, walkBySize } from './rooms-list.js';
import type {
  ActiveRoom,
  Heartbeat,
  HeartbeatOutcome,
  LeaveOutcome,
  PresenceRules,
  PresenceStore,
  RoomCount,
  RoomReading,
  RoomsOrder,
  RoomsPage,
  RoomsQuery,
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

/** How long the room sizes of heartbeat outcomes wait to be written to the size index, in ms. */
const sizesWriteDelayMs = 1_000;

/** How long a written size is kept to compare late heartbeat outcomes with, in ms. */
const sizesKeptMs = 10_000;

interface SeenSize {
  sessions: number;
  /** Store time of the outcome, epoch ms. */
  at: number;
  written: boolean;
}

/** Rooms per script call when sizes are written. */
const sizesBatchSize = 1_000;

/** A prefix that matches at most this many rooms is ranked from the id index, all of them. */
const prefixRankMax = 2_000;

/** A broader prefix is searched down the size index, this many rooms per read, ... */
const prefixScanChunk = 1_000;
/** ... and at most this many per page. */
const prefixScanMax = 20_000;

/** Beyond every room id character (all ASCII): the upper end of a prefix's lex range. */
const afterIds = '\xff';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    hcHeartbeats(
      numberOfKeys: number,
      ...keysAndArgs: (string | number)[]
    ): Result<number[], Context>;
    hcLeave(...keysAndArgs: (string | number)[]): Result<number[], Context>;
    hcCount(...keys: string[]): Result<number[], Context>;
    hcRead(numberOfKeys: number, ...keys: string[]): Result<string, Context>;
    hcReadRoom(...keys: string[]): Result<string, Context>;
    hcCommit(numberOfKeys: number, ...keysAndArgs: string[]): Result<number[], Context>;
    hcCommitRoom(...keysAndArgs: string[]): Result<number[], Context>;
    hcCommitOpen(numberOfKeys: number, ...keysAndArgs: string[]): Result<number, Context>;
    hcCommitOpenRoom(...keysAndArgs: string[]): Result<number, Context>;
    hcUnlock(key: string, token: string): Result<number, Context>;
    hcForget(
      index: string,
      sizes: string,
      ids: string,
      ...roomsAndTimes: (string | number)[]
    ): Result<number, Context>;
    hcRoomSizes(
      sizes: string,
      ids: string,
      ...roomsAndSessions: (string | number)[]
    ): Result<number, Context>;
  }
}

function defineScripts(redis: RedisClient) {
  // Any number of heartbeats, grouped by room: the caller passes the number of keys first.
  redis.defineCommand('hcHeartbeats', { lua: withLib('heartbeats.lua') });
  redis.defineCommand('hcLeave', { numberOfKeys: 1, lua: withLib('leave-1.lua') });
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
  redis.defineCommand('hcCommitOpen', { lua: lua('commit-open-rooms.lua') });
  redis.defineCommand('hcCommitOpenRoom', { numberOfKeys: 2, lua: lua('commit-open-rooms.lua') });
  redis.defineCommand('hcUnlock', { numberOfKeys: 1, lua: lua('unlock-1.lua') });
  redis.defineCommand('hcForget', { numberOfKeys: 3, lua: lua('forget-rooms-3.lua') });
  redis.defineCommand('hcRoomSizes', { numberOfKeys: 2, lua: lua('room-sizes-2.lua') });
}

export class RedisPresenceStore implements PresenceStore {
  readonly kind = 'redis';
  private readonly index: string;
  private readonly sizes: string;
  private readonly ids: string;
  private readonly cluster: boolean;
  private readonly ticks = new TickQueue((queued) => this.sendHeartbeats(queued));
  /**
   * Sessions per room from heartbeat outcomes, with their store time. Kept a while after they are
   * written, so that an outcome that arrives late never overwrites a newer one.
   */
  private readonly seenSizes = new Map<string, SeenSize>();
  private sizesTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly rules: PresenceRules,
    private readonly prefix: string,
  ) {
    defineScripts(redis);
    this.index = roomIndexKey(prefix);
    this.sizes = roomSizesKey(prefix);
    this.ids = roomIdsKey(prefix);
    this.cluster = redis instanceof Cluster;
  }

  /** Queued for the end of this event-loop tick, and sent with the others of the tick. */
  heartbeat(hb: Heartbeat): Promise<HeartbeatOutcome> {
    return this.ticks.add(hb);
  }

  private sendHeartbeats(queued: QueuedHeartbeat[]) {
    for (const call of heartbeatCalls(queued, this.cluster ? roomSlot : null)) {
      void this.recordHeartbeats(call);
    }
  }

  /** One script call for the heartbeats of a call; every one of them is answered or rejected. */
  private async recordHeartbeats(call: HeartbeatCall): Promise<void> {
    const { rules } = this;
    const keys: string[] = [];
    const args: (string | number)[] = [
      rules.visibleTtlMs,
      rules.hiddenTtlMs,
      rules.visibleIntervalMs,
      rules.hiddenIntervalMs,
      rules.largeRoomSessions ?? 0,
    ];
    const queued: QueuedHeartbeat[] = [];
    for (const [room, heartbeats] of call) {
      keys.push(roomKeys(this.prefix, room).base);
      args.push(heartbeats.length);
      for (const q of heartbeats) {
        const hb = q.heartbeat;
        const maxViewerSessions = hb.limitViewerSessions ? (rules.maxSessionsPerViewer ?? 0) : 0;
        args.push(
          hb.session,
          viewerMember(hb.session, hb.viewer),
          hb.entry ?? '',
          `${hb.state === 'visible' ? 'v' : 'h'}${hb.stretch ?? 1}${maxViewerSessions}`,
        );
        queued.push(q);
      }
    }
    try {
      const results = await guard(async () => {
        const results = parseHeartbeats(
          await this.redis.hcHeartbeats(keys.length, ...keys, ...args),
          queued.length,
        );
        // Once per room (again after the archive forgot it): the room index is a key of its own
        // slot on Cluster, so it cannot live inside the rooms' script.
        const created = results.flatMap(({ created, outcome }, i) =>
          created ? [outcome.at, queued[i]!.heartbeat.room] : [],
        );
        if (created.length > 0) await this.redis.zadd(this.index, ...created);
        return results;
      });
      results.forEach(({ outcome }, i) => {
        this.noteSize(queued[i]!.heartbeat.room, outcome);
        queued[i]!.resolve(outcome);
      });
    } catch (err) {
      for (const q of queued) q.reject(err);
    }
  }

  leave(room: string, session: string): Promise<LeaveOutcome> {
    const k = roomKeys(this.prefix, room);
    return guard(async () =>
      parseLeave(await this.redis.hcLeave(k.base, session, this.rules.leaveGraceMs)),
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

  /**
   * Reads the top of the size index (or the id index for sort=room), counts those rooms only, and
   * writes the live sizes it read back, so that rooms that shrank by expiry move down. See
   * walkBySize for when a page is exact.
   */
  listRooms(query: RoomsQuery): Promise<RoomsPage> {
    return guard(async () => {
      // This instance's own latest heartbeats first, so that it never lists older sizes than it saw.
      await this.writeSeenSizes();
      const want = query.offset + query.limit;
      const changed = new Map<string, number>();
      const count = async (rooms: Indexed[]) => {
        const counts = await this.counts(rooms.map((r) => r.room));
        for (const { room, sessions } of rooms) {
          const live = counts.get(room)!.sessions;
          if (live !== sessions) changed.set(room, live);
        }
        return counts;
      };
      const { rooms, total } =
        query.sort === 'room'
          ? await this.roomsById(query.prefix, want, count)
          : await this.roomsBySize(query.prefix, query.sort, want, count);
      const emptied = [...changed.values()].filter((sessions) => sessions === 0).length;
      // Written after the walk, so that positions in the index hold while it is read.
      await this.writeSizes([...changed]);
      const page = rooms.slice(query.offset, want);
      return {
        rooms: page,
        total: Math.max(rooms.length, total - emptied),
        at: page.length > 0 ? Math.max(...page.map((r) => r.at)) : await this.now(),
      };
    });
  }

  /** Active rooms by size, largest first: from the size index, narrowed by prefix if any. */
  private async roomsBySize(
    prefix: string,
    sort: Exclude<RoomsOrder, 'room'>,
    want: number,
    count: (rooms: Indexed[]) => Promise<Map<string, RoomCount>>,
  ): Promise<{ rooms: ActiveRoom[]; total: number }> {
    let next: (n: number) => Promise<IndexChunk>;
    let total: number;
    if (prefix === '') {
      total = await this.redis.zcard(this.sizes);
      next = this.sizeChunks(() => true, Number.POSITIVE_INFINITY);
    } else {
      total = await this.redis.zlexcount(this.ids, `[${prefix}`, `[${prefix}${afterIds}`);
      next =
        total <= prefixRankMax
          ? await this.rankedByPrefix(prefix)
          : this.sizeChunks((room) => room.startsWith(prefix), prefixScanMax);
    }
    const { rooms } = await walkBySize({ sort, want, next, count });
    return { rooms, total };
  }

  /**
   * Reads the size index down from the top, n rooms that pass `matches` at a time, at most `max`
   * index rooms in all. A room moved by another writer while being read is counted once.
   */
  private sizeChunks(matches: (room: string) => boolean, max: number) {
    let position = 0;
    let buffer: Indexed[] = [];
    let taken = 0;
    let end = false;
    const seen = new Set<string>();
    const fill = async (n: number) => {
      const size = Math.min(Number.isFinite(max) ? prefixScanChunk : n, max - position);
      const flat = await this.redis.zrange(this.sizes, position, position + size - 1, 'WITHSCORES');
      position += flat.length / 2;
      buffer = [];
      taken = 0;
      for (let i = 0; i < flat.length; i += 2) {
        buffer.push({ room: flat[i]!, sessions: -Number(flat[i + 1]) });
      }
      end = buffer.length < size || position >= max;
    };
    return async (n: number): Promise<IndexChunk> => {
      const rooms: Indexed[] = [];
      let last: Indexed | null = null;
      while (rooms.length < n) {
        if (taken === buffer.length) {
          if (end) break;
          await fill(n - rooms.length);
          if (buffer.length === 0) break;
        }
        const next = buffer[taken++]!;
        last = next;
        if (matches(next.room) && !seen.has(next.room)) {
          seen.add(next.room);
          rooms.push(next);
        }
      }
      return { rooms, last, done: end && taken === buffer.length };
    };
  }

  /** Every room of a narrow prefix, from the id index, put in size order with their indexed sizes. */
  private async rankedByPrefix(prefix: string): Promise<(n: number) => Promise<IndexChunk>> {
    const rooms = await this.redis.zrangebylex(this.ids, `[${prefix}`, `[${prefix}${afterIds}`);
    const scores = rooms.length > 0 ? await this.redis.zmscore(this.sizes, ...rooms) : [];
    const ranked = rooms
      .flatMap((room, i) => (scores[i] == null ? [] : [{ room, sessions: -Number(scores[i]) }]))
      .sort((a, b) => b.sessions - a.sessions || (a.room < b.room ? -1 : 1));
    let position = 0;
    return async (n) => {
      const chunk = ranked.slice(position, position + n);
      position += chunk.length;
      return { rooms: chunk, last: chunk.at(-1) ?? null, done: position >= ranked.length };
    };
  }

  /** Active rooms by id, from the id index: the first `want` that are not empty now. */
  private async roomsById(
    prefix: string,
    want: number,
    count: (rooms: Indexed[]) => Promise<Map<string, RoomCount>>,
  ): Promise<{ rooms: ActiveRoom[]; total: number }> {
    const max = `[${prefix}${afterIds}`;
    const total = await this.redis.zlexcount(this.ids, `[${prefix}`, max);
    const budget = countBudget(want);
    const active: ActiveRoom[] = [];
    let min = `[${prefix}`;
    for (let counted = 0; active.length < want && counted < budget; ) {
      const n = Math.min(want - active.length + 10, budget - counted);
      const rooms = await this.redis.zrangebylex(this.ids, min, max, 'LIMIT', 0, n);
      counted += rooms.length;
      // The size index is not read here: a room's indexed size is unknown (NaN), so any live
      // size differs and is written back.
      const counts = await count(rooms.map((room) => ({ room, sessions: Number.NaN })));
      for (const room of rooms) {
        const c = counts.get(room)!;
        if (c.sessions > 0) active.push({ room, ...c });
      }
      if (rooms.length < n) break;
      min = `(${rooms.at(-1)}`;
    }
    return { rooms: active, total };
  }

  /**
   * Keeps a room's sessions from a heartbeat outcome for the size index: written at most once a
   * second per instance, in one script call, so that the heartbeat itself stays one round trip.
   * Outcomes may arrive out of order: the latest store time wins, and within one millisecond the
   * larger size (an index that reads high only costs a page one more room to count; one that
   * reads low could leave a room out).
   */
  noteSize(room: string, outcome: HeartbeatOutcome): void {
    if (!outcome.accepted) return;
    const { sessions, at } = outcome;
    const seen = this.seenSizes.get(room);
    if (seen === undefined) this.seenSizes.set(room, { sessions, at, written: false });
    else if (seen.at < at || (seen.at === at && seen.sessions < sessions)) {
      // Updated in place: this runs for every heartbeat.
      seen.sessions = sessions;
      seen.at = at;
      seen.written = false;
    } else return;
    this.sizesTimer ??= setTimeout(() => {
      this.sizesTimer = null;
      // A failed write keeps its sizes for the next heartbeat's timer; the index is a hint.
      this.writeSeenSizes().catch(() => undefined);
    }, sizesWriteDelayMs).unref();
  }

  private async writeSeenSizes(): Promise<void> {
    const unwritten: [string, SeenSize][] = [];
    let latest = 0;
    for (const [room, seen] of this.seenSizes) {
      latest = Math.max(latest, seen.at);
      if (!seen.written) unwritten.push([room, seen]);
    }
    for (const [room, seen] of this.seenSizes) {
      if (seen.written && seen.at < latest - sizesKeptMs) this.seenSizes.delete(room);
    }
    if (unwritten.length === 0) return;
    for (const [, seen] of unwritten) seen.written = true;
    try {
      await this.writeSizes(unwritten.map(([room, { sessions }]) => [room, sessions]));
    } catch (err) {
      // Written next time, unless a newer outcome took their place meanwhile.
      for (const [, seen] of unwritten) seen.written = false;
      throw err;
    }
  }

  /** Room → sessions into the size and id indexes; 0 takes the room out of both. */
  private async writeSizes(sizes: readonly [string, number][]): Promise<void> {
    const batches: Promise<number>[] = [];
    for (let i = 0; i < sizes.length; i += sizesBatchSize) {
      const args = sizes.slice(i, i + sizesBatchSize).flat();
      batches.push(this.redis.hcRoomSizes(this.sizes, this.ids, ...args));
    }
    await Promise.all(batches);
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
    if (this.sizesTimer) clearTimeout(this.sizesTimer);
    await this.writeSeenSizes().catch(() => undefined);
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
      if (idle.length > 0) await this.redis.hcForget(this.index, this.sizes, this.ids, ...idle);
      return read.flatMap((b) => b.readings);
    });
  }

  commitReadings(readings: readonly RoomReading[]): Promise<void> {
    // A room with sessions online that ended no live period cannot be forgotten: its commit needs
    // two of its keys and one argument, not eight and a JSON text.
    const staysOpen = (r: RoomReading) => r.sessions > 0 && r.closed.length === 0;
    const open = readings.filter(staysOpen);
    const others = readings.filter((r) => !staysOpen(r));
    return guard(async () => {
      const [, flags] = await Promise.all([
        Promise.all(
          this.batches(open).map((batch) => {
            const keysAndArgs: string[] = [];
            for (const r of batch) {
              const k = roomKeys(this.prefix, r.room);
              keysAndArgs.push(k.period, k.pending);
            }
            for (const r of batch) keysAndArgs.push(String(r.at));
            return this.cluster
              ? this.redis.hcCommitOpenRoom(...keysAndArgs)
              : this.redis.hcCommitOpen(batch.length * 2, ...keysAndArgs);
          }),
        ),
        Promise.all(
          this.batches(others).map((batch) => {
            const keys = batch.flatMap((r) => this.archiveKeys(r.room));
            const args = batch.map(commitPayload);
            return this.cluster
              ? this.redis.hcCommitRoom(...keys, ...args)
              : this.redis.hcCommit(keys.length, ...keys, ...args);
          }),
        ),
      ]);
      // Only rooms not brought back by a heartbeat since their reading leave the index.
      const forgettable = flags.flat();
      const forget = others.flatMap((r, i) => (forgettable[i] === 1 ? [r.room, r.at] : []));
      if (forget.length > 0) await this.redis.hcForget(this.index, this.sizes, this.ids, ...forget);
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
