// The presence rules in-process, for a single instance with nothing else installed. Checked
// against the reference model like the Redis store. Time is this process's clock; online sessions
// leave through a heap of deadlines, and each viewer keeps a count of its online sessions, so no
// count ever walks the members of a room.
import { randomBytes } from 'node:crypto';
import { Heap } from 'heap-js';
import sortedBtree from 'sorted-btree';
import { viewerMember } from './keys.js';
import { keepFirst, type Ranked } from './rooms-list.js';
import type {
  ActivityEvent,
  ActivityOutcome,
  AddressConcentration,
  Heartbeat,
  HeartbeatOutcome,
  LeaveOutcome,
  ListedViewer,
  LivePeriodReading,
  OnlineViewers,
  PageActivity,
  PeriodAccumulators,
  PresenceRules,
  PresenceStore,
  RoomCount,
  RoomReading,
  RoomsOrder,
  RoomsPage,
  RoomsQuery,
  ViewerPosition,
  ViewersPage,
  ViewersQuery,
} from './store.js';
import { defaultActivityMaxKinds, maxStretch, pageActivityGapMs } from './store.js';

// sorted-btree is CommonJS with its class as exports.default: Node.js imports the exports object as
// the default, esbuild and Vite the class itself.
type BTreeClass = typeof sortedBtree.default;
const BTree: BTreeClass = sortedBtree.default ?? (sortedBtree as unknown as BTreeClass);

/** List order: since, then id. */
const byPosition = (a: ViewerPosition, b: ViewerPosition) =>
  a.since - b.since || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** An online viewer: its sessions, and what the latest heartbeat that named it said of it. */
interface Viewer {
  /** Online sessions (never 0). */
  sessions: number;
  /** Online sessions in the foreground. */
  visible: number;
  /** When its current online stretch began, store time ms. */
  since: number;
  name: string | undefined;
  listed: boolean;
}

/** What a heartbeat said of its viewer. */
type Said = Pick<Viewer, 'name' | 'listed'>;

interface Session {
  state: 'visible' | 'hidden';
  viewer: string;
  deadline: number;
  /** Time of the latest accepted heartbeat; null after a leave, so a reload is never refused. */
  lastBeat: number | null;
  /** The hashed client address of the latest accepted heartbeat, if it named one. */
  address: string | undefined;
}

/**
 * Online sessions per client address, and the most any address holds, kept as sessions come and
 * go: how many addresses hold each number of sessions tells the busiest when it loses one.
 */
class AddressTally {
  private readonly sessions = new Map<string, number>();
  /** Sessions held → addresses that hold that many (never 0). */
  private readonly holding = new Map<number, number>();
  busiest = 0;

  of(address: string): number {
    return this.sessions.get(address) ?? 0;
  }

  add(address: string) {
    const n = this.of(address) + 1;
    this.move(address, n - 1, n);
    this.busiest = Math.max(this.busiest, n);
  }

  remove(address: string) {
    const n = this.of(address);
    this.move(address, n, n - 1);
    if (n === this.busiest && !this.holding.has(n)) this.busiest = n - 1;
  }

  private move(address: string, from: number, to: number) {
    if (to > 0) this.sessions.set(address, to);
    else this.sessions.delete(address);
    const left = (this.holding.get(from) ?? 0) - 1;
    if (left > 0) this.holding.set(from, left);
    else this.holding.delete(from);
    if (to > 0) this.holding.set(to, (this.holding.get(to) ?? 0) + 1);
  }
}

interface Peaks {
  peakSessions: number;
  peakSessionsAt: number;
  peakViewers: number;
  peakViewersAt: number;
}

interface Live extends Peaks {
  start: number;
  joins: number;
  uniques: Set<string>;
}

class Room {
  /** Online sessions only: expired ones leave through the heap. */
  readonly sessions = new Map<string, Session>();
  /** Online viewers. */
  readonly viewers = new Map<string, Viewer>();
  /** The listed online viewers in list order, so that a page costs O(log n + limit). */
  readonly listed = new BTree<ViewerPosition, true>(undefined, byPosition);
  /** Online viewers that asked not to be listed. */
  hidden = 0;
  /** Session → time of its latest counted activity event, kept beyond its session's expiry. */
  readonly lastActivity = new Map<string, number>();
  readonly addresses = new AddressTally();
  private readonly deadlines = new Heap<{ deadline: number; session: string }>(
    (a, b) => a.deadline - b.deadline,
  );
  visible = 0;
  /** The latest deadline of a session that went offline: when the room emptied. */
  lastDeadline = 0;
  period: PeriodAccumulators;
  pending: (PeriodAccumulators & { readAt: number }) | null = null;
  live: Live | null = null;
  closed: LivePeriodReading[] = [];

  /** When its accumulators began: the first heartbeat or activity since it was last forgotten. */
  readonly began: number;

  constructor(now: number) {
    this.period = newPeriod(now, 0, 0);
    this.began = now;
  }

  /** Takes every session whose deadline is before now offline. */
  expire(now: number) {
    for (let top = this.deadlines.peek(); top && top.deadline < now; top = this.deadlines.peek()) {
      this.deadlines.pop();
      const s = this.sessions.get(top.session);
      if (s?.deadline !== top.deadline) continue; // superseded by a later heartbeat or a leave
      this.remove(top.session, s);
      this.lastDeadline = Math.max(this.lastDeadline, s.deadline);
    }
  }

  /** Takes the session offline; its viewer goes offline with its last session, unless it stays. */
  private remove(id: string, s: Session, viewerStays = false) {
    this.sessions.delete(id);
    if (s.state === 'visible') this.visible--;
    const viewer = this.viewers.get(s.viewer)!;
    viewer.sessions--;
    if (s.state === 'visible') viewer.visible--;
    if (viewer.sessions === 0 && !viewerStays) this.forgetViewer(s.viewer, viewer);
    if (s.address !== undefined) this.addresses.remove(s.address);
  }

  private forgetViewer(id: string, viewer: Viewer) {
    this.viewers.delete(id);
    if (viewer.listed) this.listed.delete({ since: viewer.since, id });
    else this.hidden--;
  }

  /**
   * Puts the session online (again, with what changed). A heartbeat says what it says of its
   * viewer (`said`), which then holds: the latest heartbeat naming a viewer decides; a leave says
   * nothing.
   */
  put(id: string, session: Session, now: number, said?: Said) {
    const previous = this.sessions.get(id);
    if (previous) this.remove(id, previous, previous.viewer === session.viewer);
    this.sessions.set(id, session);
    if (session.state === 'visible') this.visible++;
    let viewer = this.viewers.get(session.viewer);
    if (!viewer) {
      viewer = { sessions: 0, visible: 0, since: now, name: undefined, listed: false };
      this.viewers.set(session.viewer, viewer);
      this.hidden++;
    }
    viewer.sessions++;
    if (session.state === 'visible') viewer.visible++;
    if (said) this.say(session.viewer, viewer, said);
    if (session.address !== undefined) this.addresses.add(session.address);
    this.deadlines.push({ deadline: session.deadline, session: id });
  }

  private say(id: string, viewer: Viewer, said: Said) {
    viewer.name = said.name;
    if (said.listed === viewer.listed) return;
    viewer.listed = said.listed;
    const position = { since: viewer.since, id };
    if (said.listed) {
      this.listed.set(position, true);
      this.hidden--;
    } else {
      this.listed.delete(position);
      this.hidden++;
    }
  }

  entry(id: string): ListedViewer {
    const { name, since, visible, sessions } = this.viewers.get(id)!;
    return { id, name: name ?? null, since, visible: visible > 0, tabs: sessions };
  }

  tally() {
    return { sessions: this.sessions.size, viewers: this.viewers.size, visible: this.visible };
  }

  endedLive(live: Live): LivePeriodReading {
    return { ...liveReading(live), end: Math.max(this.lastDeadline, live.start) };
  }
}

/** What the rooms list orders a room by (sort=room: by id alone). */
function measureOf(room: Room, sort: RoomsOrder): number {
  if (sort === 'sessions') return room.sessions.size;
  if (sort === 'viewers') return room.viewers.size;
  if (sort === 'peak') return room.live?.peakSessions ?? 0;
  return 0;
}

const newPeriod = (now: number, sessions: number, viewers: number): PeriodAccumulators => ({
  since: now,
  peakSessions: sessions,
  peakSessionsAt: now,
  peakViewers: viewers,
  peakViewersAt: now,
  joins: 0,
  joinsByEntry: {},
  activity: {},
});

const raisePeaks = (p: Peaks, sessions: number, viewers: number, now: number) => {
  if (sessions > p.peakSessions) {
    p.peakSessions = sessions;
    p.peakSessionsAt = now;
  }
  if (viewers > p.peakViewers) {
    p.peakViewers = viewers;
    p.peakViewersAt = now;
  }
};

const liveReading = ({ uniques, ...live }: Live): LivePeriodReading => ({
  ...live,
  end: null,
  uniqueViewers: uniques.size,
});

/** Two periods as one: joins summed, the higher peaks (the earlier on a tie). */
function merge(a: PeriodAccumulators, b: PeriodAccumulators): PeriodAccumulators {
  const joinsByEntry = { ...a.joinsByEntry };
  for (const [entry, joins] of Object.entries(b.joinsByEntry)) {
    joinsByEntry[entry] = (joinsByEntry[entry] ?? 0) + joins;
  }
  const activity = { ...a.activity };
  for (const [kind, n] of Object.entries(b.activity)) activity[kind] = (activity[kind] ?? 0) + n;
  const s = b.peakSessions > a.peakSessions ? b : a;
  const v = b.peakViewers > a.peakViewers ? b : a;
  return {
    since: a.since,
    peakSessions: s.peakSessions,
    peakSessionsAt: s.peakSessionsAt,
    peakViewers: v.peakViewers,
    peakViewersAt: v.peakViewersAt,
    joins: a.joins + b.joins,
    joinsByEntry,
    activity,
  };
}

export class MemoryPresenceStore implements PresenceStore {
  readonly kind = 'embedded';
  private readonly rooms = new Map<string, Room>();
  private readonly locks = new Map<string, { token: string; until: number }>();
  private readonly salts = new Map<string, string>();
  /** Rooms forgotten in the millisecond they began, listed to archive until read once more. */
  private readonly lingering = new Set<string>();

  constructor(
    private readonly rules: PresenceRules,
    private readonly clock: () => number = Date.now,
  ) {}

  private room(id: string, now: number): Room | undefined {
    const room = this.rooms.get(id);
    room?.expire(now);
    return room;
  }

  async heartbeat(hb: Heartbeat): Promise<HeartbeatOutcome> {
    const now = this.clock();
    const visible = hb.state === 'visible';
    let room = this.room(hb.room, now);
    const previous = room?.sessions.get(hb.session);
    const interval = visible ? this.rules.visibleIntervalMs : this.rules.hiddenIntervalMs;
    if (previous?.lastBeat != null && previous.state === hb.state) {
      const minGapMs = Math.floor(interval / 3);
      const elapsedMs = now - previous.lastBeat;
      if (elapsedMs < minGapMs) {
        return { accepted: false, reason: 'too_fast', retryAfterMs: minGapMs - elapsedMs, at: now };
      }
    }
    const viewer = viewerMember(hb.session, hb.viewer);
    const cap = hb.limitViewerSessions ? this.rules.maxSessionsPerViewer : undefined;
    if (
      cap !== undefined &&
      previous?.viewer !== viewer &&
      (room?.viewers.get(viewer)?.sessions ?? 0) >= cap
    ) {
      return { accepted: false, reason: 'too_many_sessions', retryAfterMs: interval, at: now };
    }
    const addressCap = this.rules.maxSessionsPerAddress;
    if (
      addressCap !== undefined &&
      hb.address !== undefined &&
      previous === undefined &&
      (room?.addresses.of(hb.address) ?? 0) >= addressCap
    ) {
      return {
        accepted: false,
        reason: 'too_many_address_sessions',
        retryAfterMs: interval,
        at: now,
      };
    }
    if (!room) {
      room = new Room(now);
      this.rooms.set(hb.room, room);
      this.lingering.delete(hb.room);
    }
    const sessionsBefore = room.sessions.size;
    if (sessionsBefore === 0) {
      if (room.live) room.closed.push(room.endedLive(room.live));
      room.live = {
        start: now,
        joins: 0,
        uniques: new Set(),
        peakSessions: 0,
        peakSessionsAt: now,
        peakViewers: 0,
        peakViewersAt: now,
      };
    }
    const live = room.live!;
    const step = this.rules.largeRoomSessions;
    const sizeStretch = step ? Math.min(maxStretch, 1 + Math.floor(sessionsBefore / step)) : 1;
    const stretch = Math.max(hb.stretch ?? 1, sizeStretch);
    const ttlMs = (visible ? this.rules.visibleTtlMs : this.rules.hiddenTtlMs) * stretch;
    const deadline = now + ttlMs;
    const session = { state: hb.state, viewer, deadline, lastBeat: now, address: hb.address };
    room.put(hb.session, session, now, { name: hb.name, listed: hb.listed !== false });
    if (previous?.viewer !== viewer) live.uniques.add(viewer);
    const joined = previous === undefined;
    if (joined) {
      room.period.joins++;
      live.joins++;
      const entries = room.period.joinsByEntry;
      if (hb.entry) entries[hb.entry] = (entries[hb.entry] ?? 0) + 1;
    }
    const { sessions, viewers } = room.tally();
    raisePeaks(room.period, sessions, viewers, now);
    raisePeaks(live, sessions, viewers, now);
    return { accepted: true, sessions, viewers, joined, stretch, at: now };
  }

  async recordActivity(events: readonly ActivityEvent[]): Promise<ActivityOutcome> {
    return this.countActivity(this.clock(), events);
  }

  private countActivity(now: number, events: readonly ActivityEvent[]): ActivityOutcome {
    const max = this.rules.activityMaxKinds ?? defaultActivityMaxKinds;
    const kinds = new Map<string, Set<string>>();
    for (const e of events) {
      let seen = kinds.get(e.room);
      if (!seen) {
        seen = new Set(Object.keys(this.rooms.get(e.room)?.period.activity ?? {}));
        kinds.set(e.room, seen);
      }
      seen.add(e.kind);
    }
    // The first room named that would pass the limit, as every store says it.
    for (const [room, seen] of kinds) {
      if (seen.size > max) return { accepted: false, reason: 'too_many_kinds', room, at: now };
    }
    for (const e of events) {
      let room = this.rooms.get(e.room);
      if (!room) {
        room = new Room(now);
        this.rooms.set(e.room, room);
        this.lingering.delete(e.room);
      }
      const activity = room.period.activity;
      activity[e.kind] = (activity[e.kind] ?? 0) + e.n;
    }
    const roomsAt = Object.fromEntries([...kinds.keys()].map((room) => [room, now]));
    return { accepted: true, at: now, roomsAt };
  }

  async pageActivity(event: PageActivity): Promise<ActivityOutcome> {
    const now = this.clock();
    const room = this.room(event.room, now);
    if (!room?.sessions.has(event.session)) return { accepted: false, reason: 'offline', at: now };
    const elapsedMs = now - (room.lastActivity.get(event.session) ?? Number.NEGATIVE_INFINITY);
    const gapMs = this.rules.pageActivityGapMs ?? pageActivityGapMs;
    if (elapsedMs < gapMs) {
      return {
        accepted: false,
        reason: 'too_fast',
        retryAfterMs: gapMs - elapsedMs,
        at: now,
      };
    }
    const outcome = this.countActivity(now, [event]);
    if (outcome.accepted) {
      // Past the gap a time no longer matters: swept once they outnumber the sessions.
      if (room.lastActivity.size > 2 * room.sessions.size + 100) {
        for (const [id, at] of room.lastActivity)
          if (now - at >= gapMs) room.lastActivity.delete(id);
      }
      room.lastActivity.set(event.session, now);
    }
    return outcome;
  }

  async leave(roomId: string, sessionId: string): Promise<LeaveOutcome> {
    const now = this.clock();
    const room = this.room(roomId, now);
    const session = room?.sessions.get(sessionId);
    if (!room || !session) return { left: false, at: now };
    const deadline = Math.min(session.deadline, now + this.rules.leaveGraceMs);
    room.put(sessionId, { ...session, deadline, lastBeat: null }, now);
    return { left: true, at: now };
  }

  async count(roomId: string): Promise<RoomCount> {
    return this.countAt(roomId, this.clock());
  }

  private countAt(roomId: string, now: number): RoomCount {
    const room = this.room(roomId, now);
    const tally = room?.tally() ?? { sessions: 0, viewers: 0, visible: 0 };
    const live = tally.sessions > 0 ? room?.live : undefined;
    return {
      ...tally,
      peak: live
        ? { sessions: live.peakSessions, viewers: live.peakViewers, at: live.peakSessionsAt }
        : { sessions: 0, viewers: 0, at: null },
      at: now,
    };
  }

  async counts(rooms: readonly string[]): Promise<Map<string, RoomCount>> {
    const counts = new Map<string, RoomCount>();
    for (const room of rooms) counts.set(room, await this.count(room));
    return counts;
  }

  async concentration(rooms: readonly string[]): Promise<Map<string, AddressConcentration>> {
    const now = this.clock();
    const concentration = new Map<string, AddressConcentration>();
    for (const id of rooms) {
      const room = this.room(id, now);
      const sessions = room?.sessions.size ?? 0;
      concentration.set(id, { sessions, busiestAddress: room?.addresses.busiest ?? 0, at: now });
    }
    return concentration;
  }

  async viewers(roomId: string, { limit, after }: ViewersQuery): Promise<ViewersPage> {
    const now = this.clock();
    const room = this.room(roomId, now);
    const viewers: ListedViewer[] = [];
    let next: ViewerPosition | null = null;
    if (room) {
      for (const [position] of room.listed.entries(after ?? undefined)) {
        if (after && byPosition(position, after) === 0) continue;
        if (viewers.length === limit) {
          next = viewers.at(-1)!;
          break;
        }
        viewers.push(room.entry(position.id));
      }
    }
    const page = next ? { since: next.since, id: next.id } : null;
    const total = room?.viewers.size ?? 0;
    return { viewers, hidden: room?.hidden ?? 0, total, next: page, at: now };
  }

  async onlineViewers(roomId: string, ids: readonly string[]): Promise<OnlineViewers> {
    const now = this.clock();
    const room = this.room(roomId, now);
    const online = [...new Set(ids)].filter((id) => room?.viewers.get(id)?.listed === true);
    return { online, at: now };
  }

  /** Every room is in memory: one scan that keeps the first offset + limit, no sort of them all. */
  async listRooms({ limit, offset, prefix, sort }: RoomsQuery): Promise<RoomsPage> {
    const now = this.clock();
    const first: Ranked[] = [];
    let total = 0;
    for (const [id, room] of this.rooms) {
      if (!id.startsWith(prefix)) continue;
      room.expire(now);
      if (room.sessions.size === 0) continue;
      total++;
      keepFirst(first, offset + limit, id, measureOf(room, sort));
    }
    const rooms = first.slice(offset).map(({ room }) => ({ room, ...this.countAt(room, now) }));
    return { rooms, total, at: now };
  }

  async now(): Promise<number> {
    return this.clock();
  }

  async ping(): Promise<void> {}

  /** One instance: the salts live in this process only. */
  async daySalt(day: string): Promise<string> {
    let salt = this.salts.get(day);
    if (!salt) {
      salt = randomBytes(32).toString('base64url');
      this.salts.set(day, salt);
      // Yesterday, today and tomorrow at most: an older day's salt is gone.
      const days = [...this.salts.keys()].sort();
      for (const old of days.slice(0, -3)) this.salts.delete(old);
    }
    return salt;
  }

  async close(): Promise<void> {
    this.rooms.clear();
  }

  async roomsToArchive(): Promise<string[]> {
    return [...this.rooms.keys(), ...this.lingering];
  }

  async readRooms(rooms: readonly string[]): Promise<RoomReading[]> {
    const now = this.clock();
    const readings: RoomReading[] = [];
    for (const id of rooms) {
      const room = this.room(id, now);
      this.lingering.delete(id);
      if (!room) continue;
      const tally = room.tally();
      const period = room.pending ? merge(room.pending, room.period) : room.period;
      room.pending = { ...period, readAt: now };
      room.period = newPeriod(now, tally.sessions, tally.viewers);
      const closed = [...room.closed];
      let live: LivePeriodReading | null = null;
      if (room.live && tally.sessions === 0) closed.push(room.endedLive(room.live));
      else if (room.live) live = liveReading(room.live);
      const busiestAddress = room.addresses.busiest;
      readings.push({ room: id, at: now, ...tally, period, live, closed, busiestAddress });
    }
    return readings;
  }

  async commitReadings(readings: readonly RoomReading[]): Promise<void> {
    for (const reading of readings) {
      const room = this.rooms.get(reading.room);
      if (!room) continue;
      if (room.pending?.readAt === reading.at) room.pending = null;
      const archived = new Set(reading.closed.map((c) => c.start));
      room.closed = room.closed.filter((c) => !archived.has(c.start));
      if (room.live && archived.has(room.live.start)) room.live = null;
      // No live period and no join since the reading: the room is empty and fully archived.
      const quiet = room.period.joins === 0 && Object.keys(room.period.activity).length === 0;
      if (!room.live && room.closed.length === 0 && !room.pending && quiet) {
        this.rooms.delete(reading.room);
        // As on Redis, whose rooms to archive know a room by the millisecond it began: a reading
        // of that same millisecond leaves it there until the next one finds nothing.
        if (room.began >= reading.at) this.lingering.add(reading.room);
      }
    }
  }

  async tryLock(name: string, ttlMs: number): Promise<string | null> {
    const now = this.clock();
    const held = this.locks.get(name);
    if (held && held.until >= now) return null;
    const token = randomBytes(8).toString('hex');
    this.locks.set(name, { token, until: now + ttlMs });
    return token;
  }

  async unlock(name: string, token: string): Promise<void> {
    if (this.locks.get(name)?.token === token) this.locks.delete(name);
  }
}
