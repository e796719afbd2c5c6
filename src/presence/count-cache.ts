// Counts from a per-instance cache at most maxAgeMs old, and one store call for concurrent reads
// of the same room: a popular room polled by thousands of dashboards costs the store one read per
// maxAgeMs per instance. Every answer keeps the store time (`at`) of the reading it came from, so
// the number stays explainable.
import { LRUCache } from 'lru-cache';
import type { PresenceCounter, RoomCount } from './store.js';

/** Rooms whose latest count is kept; the least recently asked for go first. */
const maxRooms = 100_000;

/** Counting with a cache in front, which says whether it holds a fresh answer for a room. */
export interface CachedCounter extends PresenceCounter {
  /** True when a count of the room now would be answered without reading the store. */
  isCached(room: string): boolean;
}

export function cachedCounts(counter: PresenceCounter, maxAgeMs: number): CachedCounter {
  if (maxAgeMs <= 0) return { ...bound(counter), isCached: () => false };
  const cache = new LRUCache<string, RoomCount>({
    max: maxRooms,
    ttl: maxAgeMs,
    // The age of an answer counts from before its reading, so no answer is older than maxAgeMs.
    fetchMethod: async (room, _stale, { options }) => {
      const asked = performance.now();
      const count = await counter.count(room);
      options.ttl = Math.max(1, maxAgeMs - (performance.now() - asked));
      return count;
    },
  });
  const count = async (room: string): Promise<RoomCount> => (await cache.fetch(room))!;
  return {
    isCached: (room) => cache.has(room),
    kind: counter.kind,
    heartbeat: (hb) => counter.heartbeat(hb),
    leave: (room, session) => counter.leave(room, session),
    recordActivity: (events) => counter.recordActivity(events),
    pageActivity: (event) => counter.pageActivity(event),
    count,
    async counts(rooms) {
      const counts = await Promise.all(rooms.map(count));
      return new Map(rooms.map((room, i) => [room, counts[i]!]));
    },
    // A page is read live, never from the cache: it decides which rooms to count at all.
    listRooms: (query) => counter.listRooms(query),
    concentration: (rooms) => counter.concentration(rooms),
    // The list is read live: it is exact at its own time, like a page of rooms.
    viewers: (room, query) => counter.viewers(room, query),
    onlineViewers: (room, ids) => counter.onlineViewers(room, ids),
    now: () => counter.now(),
    ping: () => counter.ping(),
  };
}

/** The counter's methods, bound to it. */
function bound(counter: PresenceCounter): PresenceCounter {
  return {
    kind: counter.kind,
    heartbeat: (hb) => counter.heartbeat(hb),
    leave: (room, session) => counter.leave(room, session),
    recordActivity: (events) => counter.recordActivity(events),
    pageActivity: (event) => counter.pageActivity(event),
    count: (room) => counter.count(room),
    counts: (rooms) => counter.counts(rooms),
    concentration: (rooms) => counter.concentration(rooms),
    listRooms: (query) => counter.listRooms(query),
    viewers: (room, query) => counter.viewers(room, query),
    onlineViewers: (room, ids) => counter.onlineViewers(room, ids),
    now: () => counter.now(),
    ping: () => counter.ping(),
  };
}
