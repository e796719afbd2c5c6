// The presence store contract. The rules of SPEC section 2 are defined once, by the reference
// model in model.ts; the Redis store and the embedded store implement them and are checked
// against the model. Each consumer sees its own part: routes count, the archive job reads.

export type SessionState = 'visible' | 'hidden';

/** The timings behind every count, all from configuration. */
export interface PresenceRules {
  /** How long a visible session stays online after a heartbeat, in ms. */
  visibleTtlMs: number;
  /** How long a hidden (background) session stays online after a heartbeat, in ms. */
  hiddenTtlMs: number;
  /** How long a session stays online after it said leave, in ms. */
  leaveGraceMs: number;
  /** Interval told to visible pages, in ms. */
  visibleIntervalMs: number;
  /** Interval told to hidden pages, in ms. */
  hiddenIntervalMs: number;
  /**
   * Online sessions one viewer may hold in a room at once (MAX_SESSIONS_PER_VIEWER, default 10);
   * a heartbeat of a new session beyond it gets 429 too_many_sessions. Enforced by the store.
   */
  maxSessionsPerViewer?: number;
  /**
   * Online sessions one client address may hold in a room at once (MAX_SESSIONS_PER_ADDRESS,
   * default off): a heartbeat that would bring one more online from that address gets 429
   * too_many_sessions. Sessions already online are never refused for it. Enforced by the store.
   */
  maxSessionsPerAddress?: number;
  /**
   * Online sessions per step of a large room's stretch (LARGE_ROOM_SESSIONS, default 200 000): a
   * room that holds n online sessions when a heartbeat comes tells it an interval and ttl
   * 1 + floor(n / largeRoomSessions) times longer (at most 9), so that a room's heartbeats a second
   * stop growing with its size. Absent: rooms are never stretched for their size.
   */
  largeRoomSessions?: number;
  /**
   * Activity kinds one room may count in a snapshot period (ACTIVITY_MAX_KINDS, default 20): events
   * that would bring one more are refused (too_many_kinds), with nothing of their call counted.
   */
  activityMaxKinds?: number;
  /** A page's session may send one activity event per this many ms; pageActivityGapMs by default. */
  pageActivityGapMs?: number;
}

/** Activity kinds a room counts per snapshot period unless configured (ACTIVITY_MAX_KINDS). */
export const defaultActivityMaxKinds = 20;

/** A page's session may send one activity event per this many ms (SPEC 10). */
export const pageActivityGapMs = 1_000;

/** Events of one kind in one room (SPEC 10): a comment, a reaction, a purchase. */
export interface ActivityEvent {
  room: string;
  /** `^[a-z][a-z0-9_-]{0,31}$`, checked by the route. */
  kind: string;
  /** How many events (1-1000). */
  n: number;
}

/** An event sent by a page: counted only for a session online in the room, one a second. */
export interface PageActivity extends ActivityEvent {
  session: string;
}

export type ActivityOutcome =
  | {
      accepted: true;
      /** Store time, epoch ms: the latest of roomsAt. */
      at: number;
      /**
       * The store time each room counted its events at: one time for a call on one Redis; on Cluster
       * each slot's call has its own.
       */
      roomsAt: Record<string, number>;
    }
  | {
      accepted: false;
      /**
       * too_many_kinds: a room would count more than activityMaxKinds kinds in the period (its id
       * in `room`). offline: the page's session is not online in the room. too_fast: the session
       * sent an event less than pageActivityGapMs ago.
       */
      reason: 'too_many_kinds' | 'offline' | 'too_fast';
      /** The room that refused too_many_kinds. */
      room?: string;
      /** too_fast: the rest of the gap. */
      retryAfterMs?: number;
      at: number;
    };

/** The most a session's interval and ttl are ever stretched, under load or for a room's size. */
export const maxStretch = 9;

export interface Heartbeat {
  room: string;
  session: string;
  /** Absent: the session counts as its own viewer. */
  viewer?: string | undefined;
  state: SessionState;
  /** Where the viewer came from, for joins by entry. */
  entry?: string | undefined;
  /**
   * A signed room: the viewer may hold at most rules.maxSessionsPerViewer online sessions, and a
   * heartbeat that would give it one more is refused (too_many_sessions).
   */
  limitViewerSessions?: boolean | undefined;
  /**
   * Under load the service tells pages a longer interval, and the session's ttl is stretched by
   * the same whole factor (1–9, default 1), so its deadline stays three intervals away.
   */
  stretch?: number | undefined;
  /**
   * The client address the heartbeat came from, hashed (never the address itself; see
   * presence/address-hash.ts). A session counts for the address of its latest accepted heartbeat.
   * Absent (code that embeds the store): the session counts for no address.
   */
  address?: string | undefined;
  /**
   * The viewer's display name, from its presence token's `name` claim (plain text, at most 64
   * characters). The latest accepted heartbeat that names a viewer decides its name and whether it
   * is listed, as the latest heartbeat of a session decides its viewer.
   */
  name?: string | undefined;
  /** False: the viewer appears offline (counted, never listed). Absent: listed. */
  listed?: boolean | undefined;
}

/** Where a page of the online list ends: the last viewer it held, in list order. */
export interface ViewerPosition {
  /** Store time (epoch ms) the viewer's online stretch began. */
  since: number;
  id: string;
}

/** One page of the online list (GET /v1/rooms/:room/viewers). */
export interface ViewersQuery {
  /** At most this many viewers (1-100). */
  limit: number;
  /** Only viewers after this one in list order (since, then id); null for the first page. */
  after: ViewerPosition | null;
}

/** An online viewer as the list shows it. */
export interface ListedViewer {
  /** The viewer id, or `~<session>` for a session that named none. */
  id: string;
  /** Display name from the latest token naming the viewer; null when none said one. */
  name: string | null;
  /** Store time (epoch ms) the viewer's current online stretch began. */
  since: number;
  /** Whether any of its online sessions is in the foreground. */
  visible: boolean;
  /** Its online sessions. */
  tabs: number;
}

export interface ViewersPage {
  /** Listed online viewers after the query's position, by since then id. */
  viewers: ListedViewer[];
  /** Online viewers that asked not to be listed. */
  hidden: number;
  /** Online viewers, listed or not: the count's viewers at the same instant. */
  total: number;
  /** The position to ask for the next page; null when no listed viewer follows this page. */
  next: ViewerPosition | null;
  /** Store time of the reading, epoch ms. */
  at: number;
}

/** Which of the viewers asked for are online and listed (a hidden viewer reads as offline). */
export interface OnlineViewers {
  /** In the order asked, each once. */
  online: string[];
  /** Store time of the reading, epoch ms. */
  at: number;
}

export interface Peak {
  sessions: number;
  viewers: number;
  /** Store time (epoch ms) the sessions peak was first reached; null when the room never had one. */
  at: number | null;
}

export interface RoomCount {
  sessions: number;
  viewers: number;
  visible: number;
  /** Peak of the current live period (zeros when the room is not live). */
  peak: Peak;
  /** Store time of the reading, epoch ms. */
  at: number;
}

export type RefusalReason = 'too_fast' | 'too_many_sessions' | 'too_many_address_sessions';

export type HeartbeatOutcome =
  | {
      accepted: true;
      sessions: number;
      viewers: number;
      /** True when this heartbeat made the session online (a join). */
      joined: boolean;
      /**
       * The factor the session's interval and ttl were stretched by: the heartbeat's own (under
       * load), or more in a large room (see PresenceRules.largeRoomSessions).
       */
      stretch: number;
      /** Store time, epoch ms. */
      at: number;
    }
  | {
      accepted: false;
      /**
       * too_fast: the session sent heartbeats faster than interval / 3. too_many_sessions: its
       * viewer already holds maxSessionsPerViewer online sessions in the room.
       * too_many_address_sessions: its client address already holds maxSessionsPerAddress.
       */
      reason: RefusalReason;
      /** Retry after this many ms: the rest of the gap, or one interval. */
      retryAfterMs: number;
      /** Store time, epoch ms. */
      at: number;
    };

export interface LeaveOutcome {
  /** True when the session was online (its deadline is now at most the leave grace away). */
  left: boolean;
  /** Store time, epoch ms. */
  at: number;
}

/** Accumulators of one room for the snapshot period that is open now. */
export interface PeriodAccumulators {
  /** Store time the period began, epoch ms: the last committed snapshot, or the room's first heartbeat. */
  since: number;
  peakSessions: number;
  peakSessionsAt: number;
  peakViewers: number;
  peakViewersAt: number;
  joins: number;
  joinsByEntry: Record<string, number>;
  /** Activity counted in the period (SPEC 10): kind → events (only kinds with some). */
  activity: Record<string, number>;
}

export interface LivePeriodReading {
  /** Store time the room got its first session, epoch ms. */
  start: number;
  /** Store time the room emptied (latest deadline of its last sessions); null while open. */
  end: number | null;
  peakSessions: number;
  peakSessionsAt: number;
  peakViewers: number;
  peakViewersAt: number;
  joins: number;
  /** HyperLogLog estimate of distinct viewers over the live period. */
  uniqueViewers: number;
}

/** What the snapshot job reads of one room, atomically, at one store time. */
export interface RoomReading {
  room: string;
  /** Store time of the reading, epoch ms: the end of the snapshot period. */
  at: number;
  sessions: number;
  viewers: number;
  visible: number;
  period: PeriodAccumulators;
  /** The open live period, if the room is live. */
  live: LivePeriodReading | null;
  /** Live periods that ended and are not archived yet, oldest first. */
  closed: LivePeriodReading[];
  /** Online sessions of the room's busiest client address (0 when none names one). */
  busiestAddress: number;
}

/** How concentrated a room's online sessions are by client address, at one store time. */
export interface AddressConcentration {
  sessions: number;
  /** Online sessions of the busiest address (0 when none names one). */
  busiestAddress: number;
  /** Store time of the reading, epoch ms. */
  at: number;
}

export interface ActiveRoom extends RoomCount {
  room: string;
}

/** How the rooms list is ordered: sessions, viewers or live peak largest first; or by room id. */
export type RoomsOrder = 'sessions' | 'viewers' | 'peak' | 'room';

/** One page of the rooms list (GET /v1/rooms). */
export interface RoomsQuery {
  limit: number;
  /** Active rooms to skip, in the order asked for. */
  offset: number;
  /** Only rooms whose id starts with this ('' for every room); case-sensitive. */
  prefix: string;
  sort: RoomsOrder;
}

export interface RoomsPage {
  /** Active rooms of the page, with live counts, in the order asked for (ties by room id). */
  rooms: ActiveRoom[];
  /**
   * Rooms that match the prefix. Exact on the embedded store; on Redis the rooms in its size index,
   * which may still hold rooms that emptied since and wait for the archive to forget them.
   */
  total: number;
  /** Store time of the reading, epoch ms. */
  at: number;
}

/** What the routes see: counting. */
export interface PresenceCounter {
  /** 'redis' or 'embedded', for logs and /readyz. */
  readonly kind: 'redis' | 'embedded';
  heartbeat(hb: Heartbeat): Promise<HeartbeatOutcome>;
  /**
   * Counts a backend's activity: every event or none (too_many_kinds). One store call per room
   * slot; on Redis Cluster with several slots the kinds are checked in every slot first.
   */
  recordActivity(events: readonly ActivityEvent[]): Promise<ActivityOutcome>;
  /** Counts a page's event, for a session online in the room, one a second per session. */
  pageActivity(event: PageActivity): Promise<ActivityOutcome>;
  /** Moves the session's deadline to now + leave grace at most; unknown sessions are fine. */
  leave(room: string, session: string): Promise<LeaveOutcome>;
  count(room: string): Promise<RoomCount>;
  counts(rooms: readonly string[]): Promise<Map<string, RoomCount>>;
  /**
   * How concentrated each room is by client address: the busiest address's online sessions, at a
   * cost that does not grow with the room (for the dashboard; never on a page's path).
   */
  concentration(rooms: readonly string[]): Promise<Map<string, AddressConcentration>>;
  /**
   * One page of the room's online list, at a cost that grows with the limit (and the log of the
   * room's size), never with the room: every figure exact at one store time.
   */
  viewers(room: string, query: ViewersQuery): Promise<ViewersPage>;
  /** Which of at most 100 viewers are online and listed, at one store time. */
  onlineViewers(room: string, ids: readonly string[]): Promise<OnlineViewers>;
  /** One page of the active rooms, at a cost that grows with offset + limit, not with rooms. */
  listRooms(query: RoomsQuery): Promise<RoomsPage>;
  /** Store time, epoch ms. */
  now(): Promise<number>;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
}

/** What the snapshot job sees: reading, committing and its lock. */
export interface ArchiveSource {
  /** Rooms that may have something to archive. */
  roomsToArchive(): Promise<string[]>;
  /**
   * Reads each room at one store time per room and ends its open snapshot period there: the next
   * period begins with the count of that moment as its first peak. A reading that is never
   * committed (the write failed) is merged into the next one, which then covers the whole gap.
   * Rooms with nothing to archive are left out, and forgotten.
   */
  readRooms(rooms: readonly string[]): Promise<RoomReading[]>;
  /**
   * After the readings were written to PostgreSQL: drops the periods and the ended live periods
   * they held, and forgets rooms with nothing left (every key of theirs leaves the store).
   */
  commitReadings(readings: readonly RoomReading[]): Promise<void>;
  /** A lock with an expiry, shared by every instance on the same store. */
  tryLock(name: string, ttlMs: number): Promise<string | null>;
  unlock(name: string, token: string): Promise<void>;
}

/** Where the salt of client addresses' hashes comes from: one per UTC day, shared by instances. */
export interface SaltSource {
  /**
   * The salt of a day ('2026-12-03'): made by the first instance that asks, random, kept in the
   * store for three days from when it is made, which is at most a day ahead (never written
   * anywhere else).
   */
  daySalt(day: string): Promise<string>;
}

export interface PresenceStore extends PresenceCounter, ArchiveSource, SaltSource {
  close(): Promise<void>;
}
