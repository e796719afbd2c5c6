// The rooms list in O(offset + limit): the order of a page, and the walk down an index of rooms by
// size that fetches live counts for the rooms it reads only, until no room further down could rank
// inside the page. Shared by both stores; the store supplies the index and the counts.
import type { ActiveRoom, RoomCount, RoomsOrder } from './store.js';

/** Ties (and sort=room) by room id, in code-point order, so that pages never overlap. */
export const byRoom = (a: ActiveRoom, b: ActiveRoom) =>
  a.room < b.room ? -1 : a.room > b.room ? 1 : 0;

const measures = {
  sessions: (r: ActiveRoom) => r.sessions,
  viewers: (r: ActiveRoom) => r.viewers,
  peak: (r: ActiveRoom) => r.peak.sessions,
  room: () => 0,
} as const;

/** The order of a page: the measure largest first, ties by room id. */
export const roomsOrder =
  (sort: RoomsOrder) =>
  (a: ActiveRoom, b: ActiveRoom): number =>
    measures[sort](b) - measures[sort](a) || byRoom(a, b);

/** A room and its measure (sessions, viewers or peak; 0 for sort=room), for keepFirst. */
export interface Ranked {
  room: string;
  measure: number;
}

/**
 * Keeps in `first` the first `want` rooms offered so far, in page order (measure largest first,
 * ties by id), without sorting them all: a scan of every room (the embedded store) allocates only
 * for the rooms that make the cut.
 */
export function keepFirst(first: Ranked[], want: number, room: string, measure: number): void {
  const last = first[want - 1];
  if (last && (measure < last.measure || (measure === last.measure && room > last.room))) return;
  let lo = 0;
  let hi = first.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const m = first[mid]!;
    if (m.measure > measure || (m.measure === measure && m.room < room)) lo = mid + 1;
    else hi = mid;
  }
  first.splice(lo, 0, { room, measure });
  if (first.length > want) first.pop();
}

/** A room as the size index holds it: its id and the sessions last seen for it. */
export interface Indexed {
  room: string;
  sessions: number;
}

/** The next rooms of the index, in its order: sessions largest first, ties by room id. */
export interface IndexChunk {
  /** The rooms read that match the query (the ones to count). */
  rooms: Indexed[];
  /** The last room read, matching or not; null when nothing was read. */
  last: Indexed | null;
  /** True when the index has no rooms after these. */
  done: boolean;
}

export interface SizeWalk {
  sort: Exclude<RoomsOrder, 'room'>;
  /** offset + limit: the rooms the page needs, in order. */
  want: number;
  /** Reads the next chunk of at most n rooms of the index. */
  next(n: number): Promise<IndexChunk>;
  /** Live counts of the rooms read; also lets the store correct the index with them. */
  count(rooms: Indexed[]): Promise<Map<string, RoomCount>>;
}

/** Rooms counted per page at most: enough for the usual page, bounded for every page. */
export const countBudget = (want: number) => 4 * want + 200;

/**
 * Walks the size index from the top and returns the active rooms it counted, in page order.
 *
 * The index holds each room's sessions as last seen by a heartbeat or by an earlier page; a room
 * only grows by a heartbeat, which writes its size, so a room's live sessions (and viewers, which
 * are never more) are at most its indexed sessions. Once the want-th counted room ranks before the
 * last room read, no room further down can rank inside the page, and the page is exact. sort=peak
 * has no such bound (a live peak can exceed the sessions now): it orders the rooms the budget
 * counted. `exact` says which of the two ended the walk.
 */
export async function walkBySize(walk: SizeWalk): Promise<{ rooms: ActiveRoom[]; exact: boolean }> {
  const order = roomsOrder(walk.sort);
  const budget = countBudget(walk.want);
  const margin = 10 + Math.ceil(walk.want / 5);
  const active: ActiveRoom[] = [];
  let counted = 0;
  for (;;) {
    const chunk = await walk.next(Math.min(walk.want + margin, budget - counted));
    const counts = await walk.count(chunk.rooms);
    counted += chunk.rooms.length;
    for (const { room } of chunk.rooms) {
      const count = counts.get(room);
      if (count && count.sessions > 0) active.push({ room, ...count });
    }
    active.sort(order);
    if (chunk.done || chunk.last === null) return { rooms: active, exact: true };
    const kth = active[walk.want - 1];
    if (kth && walk.sort !== 'peak' && ranksBefore(kth, walk.sort, chunk.last)) {
      return { rooms: active, exact: true };
    }
    if (counted >= budget) return { rooms: active, exact: false };
  }
}

/** True when no room after `last` in the index can rank before `room` (see walkBySize). */
function ranksBefore(room: ActiveRoom, sort: 'sessions' | 'viewers', last: Indexed): boolean {
  const measure = sort === 'sessions' ? room.sessions : room.viewers;
  return measure > last.sessions || (measure === last.sessions && room.room < last.room);
}
