// The admin rooms list on Redis: active rooms by size from an index that heartbeat outcomes keep
// (at most once a second per instance, so a heartbeat stays one round trip), counted live.
import { roomIdsKey, roomSizesKey } from './keys.js';
import type { RedisClient } from './redis-client.js';
import { countBudget, type IndexChunk, type Indexed, walkBySize } from './rooms-list.js';
import type {
  ActiveRoom,
  HeartbeatOutcome,
  RoomCount,
  RoomsOrder,
  RoomsPage,
  RoomsQuery,
} from './store.js';
import { guard } from './unavailable.js';

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

export class RedisRoomsList {
  private readonly sizes: string;
  private readonly ids: string;
  /**
   * Sessions per room from heartbeat outcomes, with their store time. Kept a while after they are
   * written, so that an outcome that arrives late never overwrites a newer one.
   */
  private readonly seenSizes = new Map<string, SeenSize>();
  private sizesTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    /** Live counts of rooms, and the store time (for an empty page). */
    private readonly live: {
      counts(rooms: readonly string[]): Promise<Map<string, RoomCount>>;
      now(): Promise<number>;
    },
  ) {
    this.sizes = roomSizesKey(prefix);
    this.ids = roomIdsKey(prefix);
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
        const counts = await this.live.counts(rooms.map((r) => r.room));
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
        at: page.length > 0 ? Math.max(...page.map((r) => r.at)) : await this.live.now(),
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

  /** Writes the sizes it still holds; the instance is closing. */
  async close(): Promise<void> {
    if (this.sizesTimer) clearTimeout(this.sizesTimer);
    await this.writeSeenSizes().catch(() => undefined);
  }
}
