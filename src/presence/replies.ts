// Every script reply is parsed here, by name: each script's output fields are listed once, in the
// order its Lua header documents, and nothing else indexes a reply by position.
import type {
  ActivityOutcome,
  AddressConcentration,
  HeartbeatOutcome,
  LeaveOutcome,
  ListedViewer,
  LivePeriodReading,
  OnlineViewers,
  PeriodAccumulators,
  RoomCount,
  RoomReading,
  ViewersPage,
} from './store.js';

type Flat = (string | number)[];
/** One room of read-rooms.lua, as JSON decodes it (an empty hash comes as {}, not []). */
type RoomReply = (string | number | Flat | Record<string, never>)[];

/** Zips a script's reply, from offset on, with the names of its output fields. */
function named<const N extends readonly string[]>(
  names: N,
  reply: readonly unknown[],
  offset = 0,
): Record<N[number], number> {
  const fields = {} as Record<N[number], number>;
  names.forEach((name: N[number], i) => {
    fields[name] = Number(reply[offset + i]);
  });
  return fields;
}

/** The fields of each heartbeat in a reply of heartbeats.lua, after the store time. */
const heartbeatFields = ['sessionsOrRetryAfterMs', 'viewers', 'code'] as const;

const refusals = { 1: 'too_fast', 2: 'too_many_sessions', 3: 'too_many_address_sessions' } as const;

/**
 * heartbeats.lua, for `count` heartbeats; `created` says the room's accumulators began (add it to
 * the room index). An accepted heartbeat's code is joined + 2 × created + 4 × stretch; a refused
 * one's is −reason, and its first field the retry delay.
 */
export function parseHeartbeats(
  reply: readonly unknown[],
  count: number,
): { outcome: HeartbeatOutcome; created: boolean }[] {
  const at = Number(reply[0]);
  const results = [];
  for (let i = 0; i < count; i++) {
    const r = named(heartbeatFields, reply, 1 + i * heartbeatFields.length);
    const outcome: HeartbeatOutcome =
      r.code > 0
        ? {
            accepted: true,
            sessions: r.sessionsOrRetryAfterMs,
            viewers: r.viewers,
            joined: r.code % 2 === 1,
            stretch: r.code >> 2,
            at,
          }
        : {
            accepted: false,
            reason: refusals[-r.code as 1 | 2],
            retryAfterMs: r.sessionsOrRetryAfterMs,
            at,
          };
    results.push({ outcome, created: r.code > 0 && (r.code & 2) === 2 });
  }
  return results;
}

/** leave-1.lua */
export function parseLeave(reply: readonly unknown[]): LeaveOutcome {
  const r = named(['left', 'at'] as const, reply);
  return { left: r.left === 1, at: r.at };
}

const countFields = [
  'at',
  'sessions',
  'viewers',
  'visible',
  'peakSessions',
  'peakViewers',
  'peakAt',
] as const;

/** count-4.lua */
export function parseCount(reply: readonly unknown[]): RoomCount {
  const r = named(countFields, reply);
  return {
    sessions: r.sessions,
    viewers: r.viewers,
    visible: r.visible,
    peak: { sessions: r.peakSessions, viewers: r.peakViewers, at: r.peakAt < 0 ? null : r.peakAt },
    at: r.at,
  };
}

/** concentration-1.lua */
export function parseConcentration(reply: readonly unknown[]): AddressConcentration {
  const [at, sessions, busiestAddress] = reply.map(Number) as [number, number, number];
  return { sessions, busiestAddress, at };
}

const toRecord = (flat: RoomReply[number] | undefined): Record<string, string> => {
  const record: Record<string, string> = {};
  if (!Array.isArray(flat)) return record;
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = String(flat[i + 1]);
  return record;
};

const num = (value: string | number | undefined, fallback = 0) => {
  const n = Number(value);
  return value === undefined || Number.isNaN(n) ? fallback : n;
};

function periodFrom(hash: Record<string, string>, at: number): PeriodAccumulators {
  const joinsByEntry: Record<string, number> = {};
  const activity: Record<string, number> = {};
  for (const field in hash) {
    if (field.startsWith('e:') && num(hash[field]) > 0)
      joinsByEntry[field.slice(2)] = num(hash[field]);
    if (field.startsWith('k:') && num(hash[field]) > 0) activity[field.slice(2)] = num(hash[field]);
  }
  return {
    since: num(hash.since, at),
    peakSessions: num(hash.ps),
    peakSessionsAt: num(hash.pst, at),
    peakViewers: num(hash.pv),
    peakViewersAt: num(hash.pvt, at),
    joins: num(hash.j),
    joinsByEntry,
    activity,
  };
}

function liveFrom(
  hash: Record<string, string | number>,
  end: number | null,
  uniqueViewers: number,
): LivePeriodReading {
  const start = num(hash.start);
  return {
    start,
    end,
    peakSessions: num(hash.ps),
    peakSessionsAt: num(hash.pst, start),
    peakViewers: num(hash.pv),
    peakViewersAt: num(hash.pvt, start),
    joins: num(hash.j),
    uniqueViewers,
  };
}

const readingFields = [
  'at',
  'sessions',
  'viewers',
  'visible',
  'period',
  'live',
  'uniques',
  'closed',
  'liveEnd',
  'busiestAddress',
] as const;

/** What one call of read-rooms.lua read: rooms with something to archive, and the others. */
export interface ReadBatch {
  readings: RoomReading[];
  /** Rooms with nothing to archive, and the store time they were found so (to forget them). */
  idle: { room: string; at: number }[];
}

/** read-rooms.lua's JSON text for these rooms, in the order they were passed. */
export function parseReadings(rooms: readonly string[], text: string): ReadBatch {
  const replies = JSON.parse(text) as RoomReply[];
  const batch: ReadBatch = { readings: [], idle: [] };
  replies.forEach((reply, i) => {
    const room = rooms[i]!;
    if (reply.length === 1) batch.idle.push({ room, at: Number(reply[0]) });
    else batch.readings.push(parseReading(room, reply));
  });
  return batch;
}

/** Where each of readingFields is in a room's reply. */
const reading = Object.fromEntries(readingFields.map((name, i) => [name, i])) as Record<
  (typeof readingFields)[number],
  number
>;

/** One room of read-rooms.lua that had something to archive (thousands per snapshot: no detours). */
function parseReading(room: string, reply: RoomReply): RoomReading {
  const at = Number(reply[reading.at]);
  const liveEnd = Number(reply[reading.liveEnd]);
  const ended: LivePeriodReading[] = [];
  const closed = reply[reading.closed];
  if (Array.isArray(closed)) {
    for (let i = 1; i < closed.length; i += 2) {
      const record = JSON.parse(String(closed[i])) as Record<string, number>;
      ended.push(liveFrom(record, num(record.end), num(record.u)));
    }
  }
  const liveHash = toRecord(reply[reading.live]);
  let live: LivePeriodReading | null = null;
  if (liveHash.start !== undefined) {
    const period = liveFrom(
      liveHash,
      liveEnd >= 0 ? liveEnd : null,
      Number(reply[reading.uniques]),
    );
    if (liveEnd >= 0) ended.push(period);
    else live = period;
  }
  if (ended.length > 1) ended.sort((a, b) => a.start - b.start);
  return {
    room,
    at,
    sessions: Number(reply[reading.sessions]),
    viewers: Number(reply[reading.viewers]),
    visible: Number(reply[reading.visible]),
    period: periodFrom(toRecord(reply[reading.period]), at),
    live,
    closed: ended,
    busiestAddress: Number(reply[reading.busiestAddress]),
  };
}

/** commit-rooms.lua: the readings whose rooms were forgotten (one flag per reading, in order). */
export function parseForgotten(
  readings: readonly RoomReading[],
  flags: readonly unknown[],
): RoomReading[] {
  return readings.filter((_, i) => Number(flags[i]) === 1);
}

/** The argument of commit-rooms.lua for one reading. */
export function commitPayload(reading: RoomReading): string {
  return JSON.stringify([reading.at, reading.closed.map((c) => c.start), reading.sessions]);
}

/** The fields of each viewer in a reply of viewers-1.lua, after the page's own four. */
const listedFields = 5;

/** viewers-1.lua: {now, online, hidden, next position, then id, since, said, visible, tabs each}. */
export function parseViewers(reply: readonly (string | number)[]): ViewersPage {
  const viewers: ListedViewer[] = [];
  for (let i = 4; i < reply.length; i += listedFields) {
    const said = String(reply[i + 2]);
    viewers.push({
      id: String(reply[i]),
      name: said.length > 1 ? said.slice(1) : null,
      since: Number(reply[i + 1]),
      visible: Number(reply[i + 3]) === 1,
      tabs: Number(reply[i + 4]),
    });
  }
  const next = String(reply[3]);
  const bar = next.indexOf('|');
  return {
    viewers,
    total: Number(reply[1]),
    hidden: Number(reply[2]),
    next: next === '' ? null : { since: Number(next.slice(0, bar)), id: next.slice(bar + 1) },
    at: Number(reply[0]),
  };
}

/** online-viewers-1.lua: {now, then 1 or 0 per id asked}. */
export function parseOnlineViewers(
  reply: readonly number[],
  ids: readonly string[],
): OnlineViewers {
  return { online: ids.filter((_, i) => Number(reply[i + 1]) === 1), at: Number(reply[0]) };
}

/**
 * activity.lua: {now, outcome, created flag per room}. Outcome 0: counted; -r: the r-th room of the
 * call would count too many kinds; -1000: the page's session is offline; > 0: too fast, retry then.
 */
export function parseActivity(
  reply: readonly number[],
  rooms: readonly string[],
): { outcome: ActivityOutcome; created: string[] } {
  const at = Number(reply[0]);
  const code = Number(reply[1]);
  if (code === -1000) return { outcome: { accepted: false, reason: 'offline', at }, created: [] };
  if (code < 0) {
    const room = rooms[-code - 1]!;
    return { outcome: { accepted: false, reason: 'too_many_kinds', room, at }, created: [] };
  }
  if (code > 0) {
    return {
      outcome: { accepted: false, reason: 'too_fast', retryAfterMs: code, at },
      created: [],
    };
  }
  const roomsAt = Object.fromEntries(rooms.map((room) => [room, at]));
  return {
    outcome: { accepted: true, at, roomsAt },
    created: rooms.filter((_, i) => Number(reply[i + 2]) === 1),
  };
}
