// Every Redis key name comes from here. One prefix; the keys of one room share the hash tag
// {room}, so each script touches a single slot and runs unchanged on Redis Cluster.

export interface RoomKeys {
  /**
   * What the room's keys begin with, '<prefix>:{room}:'. Scripts that touch many of a room's keys
   * are passed this alone and name the keys with the same suffixes (ROOM_KEYS in lua/lib.lua).
   */
  base: string;
  /** Sorted set: visible session → deadline (epoch ms). */
  visible: string;
  /** Sorted set: hidden session → deadline (epoch ms). A session is in exactly one of the two. */
  hidden: string;
  /** Sorted set: viewer → latest deadline of their sessions (epoch ms). */
  viewers: string;
  /** Hash: accumulators of the open snapshot period (since, peaks, joins, joins by entry). */
  period: string;
  /** Hash: the periods read by the archive and not committed yet, merged (same fields, and at). */
  pending: string;
  /** Hash: the open live period (start, peaks, joins). */
  live: string;
  /** HyperLogLog of the viewers seen in the open live period. */
  uniques: string;
  /** Hash: live periods that ended and are not archived yet, start (ms) → JSON. */
  closed: string;
  /** Hash: the room's sessions and viewers, and until when (ms) they hold; see heartbeats.lua. */
  counts: string;
  /** Sorted set: hashed client address → its online sessions (see lib.lua). */
  addresses: string;
  /** Hash: session → its hashed client address, for the sessions that named one. */
  addressOf: string;
  /** Prefix of the per-session string keys (value: state, stretch, deadline, viewer, address; see lib.lua). */
  sessionPrefix: string;
  /** Prefix of the per-viewer sorted sets (session → deadline), kept for viewers with several sessions. */
  tabsPrefix: string;
  /** Sorted set, scores 0: '<since, 13 digits>|<viewer>' per listed viewer (the online list; lua/lib.lua). */
  listed: string;
  /** Sorted set: viewer → its deadline, for viewers appearing offline. */
  hiddenViewers: string;
  /** Hash: viewer → since, its one tab, what its latest heartbeat said of it (lua/lib.lua). */
  viewerInfo: string;
  /** Prefix of the per-session strings: store time (ms) of the session's latest activity event. */
  activityPrefix: string;
}

export function roomKeys(prefix: string, room: string): RoomKeys {
  const base = `${prefix}:{${room}}:`;
  return {
    base,
    visible: `${base}v`,
    hidden: `${base}h`,
    viewers: `${base}w`,
    period: `${base}a`,
    pending: `${base}p`,
    live: `${base}l`,
    uniques: `${base}u`,
    closed: `${base}c`,
    counts: `${base}n`,
    addresses: `${base}x`,
    addressOf: `${base}z`,
    sessionPrefix: `${base}s:`,
    tabsPrefix: `${base}t:`,
    listed: `${base}o`,
    hiddenViewers: `${base}q`,
    viewerInfo: `${base}i`,
    activityPrefix: `${base}y:`,
  };
}

/** Sorted set of the rooms the archive has not finished with: room → store time (ms) their accumulators began. */
export const roomIndexKey = (prefix: string) => `${prefix}:rooms`;

/*
 * The rooms list's two indexes. Scripts touch them with the room index (forget-rooms-3.lua), so
 * on Cluster they share its slot: their hash tag is the room index key itself, which has no tag of
 * its own and so hashes whole. No room key can collide: room keys end in one letter, or s: / t:.
 */
const besideRoomIndex = (prefix: string, name: string) =>
  `${prefix}:{${roomIndexKey(prefix)}}:${name}`;

/**
 * Sorted set: room → −(sessions last seen), so that index order is largest first, ties by room id.
 * Written from heartbeat outcomes (at most once a second per instance) and by each page of the
 * rooms list with the live counts it read; rooms leave it when they are seen empty or forgotten.
 */
export const roomSizesKey = (prefix: string) => besideRoomIndex(prefix, 'by-size');

/** Sorted set, every score 0: the rooms of the size index, by id, for prefix search (ZRANGE BYLEX). */
export const roomIdsKey = (prefix: string) => besideRoomIndex(prefix, 'by-id');

export const lockKey = (prefix: string, name: string) => `${prefix}:lock:${name}`;

/** String: the random salt of client addresses' hashes for one UTC day ('2026-12-03'). */
export const saltKey = (prefix: string, day: string) => `${prefix}:salt:${day}`;

/** The viewers-set member of a session: its viewer, or the session itself (`~` is not an id character). */
export const viewerMember = (session: string, viewer: string | undefined) =>
  viewer ?? `~${session}`;
