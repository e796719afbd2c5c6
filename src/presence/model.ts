// The rules of SPEC section 2, written once, to be read rather than run fast: every session is
// kept with its deadline, state and viewer, and every count filters them; every room keeps a log
// of what happened in it, and every archive reading is figured from that log. Both stores are
// checked against this model, answer by answer, by test/presence/model.property.test.ts.
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
  RoomCount,
  RoomReading,
  SessionState,
  ViewerPosition,
  ViewersPage,
  ViewersQuery,
} from './store.js';
import { defaultActivityMaxKinds, maxStretch, pageActivityGapMs } from './store.js';

interface ModelSession {
  /** Store time (ms) until which the session is online, inclusive. */
  deadline: number;
  state: SessionState;
  /** The viewer named by its latest accepted heartbeat, or `~session` when it named none. */
  viewer: string;
  /** Time of its latest accepted heartbeat; null after a leave, so a reload is never refused. */
  lastBeat: number | null;
  /** The (hashed) client address of its latest accepted heartbeat, if it named one. */
  address: string | undefined;
  /** Time of its latest counted activity event, if any. */
  lastActivity?: number;
  /** Every stretch of time the session was online for one viewer, oldest first (see Span). */
  spans: Span[];
}

/**
 * A stretch in which a session was online for one viewer: from the heartbeat that began it to the
 * deadline it holds now (inclusive), or to the heartbeat that named another viewer. Heartbeats of
 * one millisecond come one after another, so an instant is a time and the order of the heartbeat
 * within it. It keeps what the latest heartbeat within it said of the viewer, and when that came.
 */
interface Span {
  viewer: string;
  from: Instant;
  until: Instant;
  /** Order of the latest accepted heartbeat within the span, among all of the model's. */
  beat: number;
  name: string | undefined;
  listed: boolean;
}

interface ModelRoom {
  sessions: Map<string, ModelSession>;
}

const ownViewer = (hb: Heartbeat) => hb.viewer ?? `~${hb.session}`;
const isOnline = (s: ModelSession | undefined, now: number) => s !== undefined && s.deadline >= now;

export class PresenceModel {
  private readonly rooms = new Map<string, ModelRoom>();
  /** What the archive has not finished with, per room (see the archive half below). */
  private readonly logs = new Map<string, RoomLog>();
  /** Rooms forgotten in the millisecond their accumulators began: still to archive (see commit). */
  private readonly lingering = new Set<string>();
  /** Accepted heartbeats so far: orders the spans' latest heartbeats. */
  private beats = 0;

  constructor(private readonly rules: PresenceRules) {}

  private online(room: ModelRoom, now: number): ModelSession[] {
    return [...room.sessions.values()].filter((s) => isOnline(s, now));
  }

  private tally(room: ModelRoom | undefined, now: number) {
    const online = room ? this.online(room, now) : [];
    return {
      sessions: online.length,
      viewers: new Set(online.map((s) => s.viewer)).size,
      visible: online.filter((s) => s.state === 'visible').length,
    };
  }

  heartbeat(now: number, hb: Heartbeat): HeartbeatOutcome {
    const room = this.rooms.get(hb.room);
    const previous = room?.sessions.get(hb.session);
    const online = isOnline(previous, now);
    const interval =
      hb.state === 'visible' ? this.rules.visibleIntervalMs : this.rules.hiddenIntervalMs;
    const minGapMs = Math.floor(interval / 3);
    if (online && previous!.lastBeat !== null && previous!.state === hb.state) {
      const elapsedMs = now - previous!.lastBeat;
      if (elapsedMs < minGapMs)
        return { accepted: false, reason: 'too_fast', retryAfterMs: minGapMs - elapsedMs, at: now };
    }
    const viewer = ownViewer(hb);
    const cap = hb.limitViewerSessions ? this.rules.maxSessionsPerViewer : undefined;
    if (cap !== undefined && !(online && previous!.viewer === viewer)) {
      const held = room ? this.online(room, now).filter((s) => s.viewer === viewer).length : 0;
      if (held >= cap)
        return { accepted: false, reason: 'too_many_sessions', retryAfterMs: interval, at: now };
    }
    // Only a new session is refused for its address: those online stay counted, wherever from.
    const addressCap = this.rules.maxSessionsPerAddress;
    if (addressCap !== undefined && hb.address !== undefined && !online) {
      const held = room ? this.online(room, now).filter((s) => s.address === hb.address).length : 0;
      if (held >= addressCap)
        return {
          accepted: false,
          reason: 'too_many_address_sessions',
          retryAfterMs: interval,
          at: now,
        };
    }

    const r: ModelRoom = room ?? { sessions: new Map() };
    this.rooms.set(hb.room, r);
    const joined = !online;
    const sessionsBefore = this.tally(r, now).sessions;
    const stretch = Math.max(hb.stretch ?? 1, this.sizeStretch(sessionsBefore));
    const ttlMs =
      (hb.state === 'visible' ? this.rules.visibleTtlMs : this.rules.hiddenTtlMs) * stretch;
    const spans = previous?.spans ?? [];
    const span = spans.at(-1);
    const said = { beat: ++this.beats, name: hb.name, listed: hb.listed !== false };
    const until = { at: now + ttlMs, beat: Number.POSITIVE_INFINITY };
    if (online && previous!.viewer === viewer) Object.assign(span!, { until }, said);
    else {
      // A session that names another viewer is its old viewer's until this heartbeat.
      if (online) span!.until = { at: now, beat: said.beat };
      spans.push({ viewer, from: { at: now, beat: said.beat }, until, ...said });
    }
    r.sessions.set(hb.session, {
      deadline: now + ttlMs,
      state: hb.state,
      viewer,
      lastBeat: now,
      address: hb.address,
      spans,
      // A session's events are paced whatever became of it in between.
      lastActivity: previous?.lastActivity,
    });
    const { sessions, viewers } = this.tally(r, now);
    this.logBeat(hb.room, {
      at: now,
      session: hb.session,
      viewer,
      entry: hb.entry,
      joined,
      sessions,
      viewers,
      deadline: now + ttlMs,
    });
    return { accepted: true, sessions, viewers, joined, stretch, at: now };
  }

  /** A room of n online sessions stretches its heartbeats one step per largeRoomSessions. */
  private sizeStretch(sessions: number): number {
    const step = this.rules.largeRoomSessions;
    return step ? Math.min(maxStretch, 1 + Math.floor(sessions / step)) : 1;
  }

  leave(now: number, roomId: string, sessionId: string): LeaveOutcome {
    const session = this.rooms.get(roomId)?.sessions.get(sessionId);
    if (!session || !isOnline(session, now)) return { left: false, at: now };
    session.deadline = Math.min(session.deadline, now + this.rules.leaveGraceMs);
    session.spans.at(-1)!.until = { at: session.deadline, beat: Number.POSITIVE_INFINITY };
    session.lastBeat = null;
    this.logLeave(roomId, now, sessionId, session.deadline);
    return { left: true, at: now };
  }

  count(now: number, roomId: string): RoomCount {
    const room = this.rooms.get(roomId);
    const tally = this.tally(room, now);
    const live = tally.sessions > 0 ? this.openLive(roomId) : null;
    return {
      ...tally,
      peak: live
        ? { sessions: live.peakSessions, viewers: live.peakViewers, at: live.peakSessionsAt }
        : { sessions: 0, viewers: 0, at: null },
      at: now,
    };
  }

  /** The busiest client address's online sessions: the most that name one address. */
  private busiestAddress(room: ModelRoom | undefined, now: number): number {
    const byAddress = new Map<string, number>();
    for (const s of room ? this.online(room, now) : []) {
      if (s.address !== undefined) byAddress.set(s.address, (byAddress.get(s.address) ?? 0) + 1);
    }
    return Math.max(0, ...byAddress.values());
  }

  concentration(now: number, roomId: string): AddressConcentration {
    const room = this.rooms.get(roomId);
    const { sessions } = this.tally(room, now);
    return { sessions, busiestAddress: this.busiestAddress(room, now), at: now };
  }

  // The online list (SPEC 9). Every answer is figured from the sessions' spans at the time asked.

  /** Online viewers of the room at now, with what the list says of each and whether listed. */
  private listEntries(room: ModelRoom | undefined, now: number) {
    const sessions = room ? [...room.sessions.entries()] : [];
    const spans = sessions.flatMap(([, s]) => s.spans);
    const viewers = new Set(room ? this.online(room, now).map((s) => s.viewer) : []);
    return [...viewers].map((id) => {
      const own = spans.filter((span) => span.viewer === id);
      const tabs = sessions.filter(([, s]) => isOnline(s, now) && s.viewer === id);
      const latest = own.reduce((a, b) => (b.beat > a.beat ? b : a));
      const entry: ListedViewer = {
        id,
        name: latest.name ?? null,
        since: stretchStart(own),
        visible: tabs.some(([, s]) => s.state === 'visible'),
        tabs: tabs.length,
      };
      return { entry, listed: latest.listed };
    });
  }

  viewers(now: number, roomId: string, query: ViewersQuery): ViewersPage {
    const all = this.listEntries(this.rooms.get(roomId), now);
    const listed = all
      .filter((v) => v.listed)
      .map((v) => v.entry)
      .sort(byPosition)
      .filter((v) => query.after === null || byPosition(v, query.after) > 0);
    const page = listed.slice(0, query.limit);
    const last = page.at(-1);
    return {
      viewers: page,
      hidden: all.filter((v) => !v.listed).length,
      total: all.length,
      next: listed.length > page.length && last ? { since: last.since, id: last.id } : null,
      at: now,
    };
  }

  onlineViewers(now: number, roomId: string, ids: readonly string[]): OnlineViewers {
    const listed = this.listEntries(this.rooms.get(roomId), now).filter((v) => v.listed);
    const here = new Set(listed.map((v) => v.entry.id));
    return { online: [...new Set(ids)].filter((id) => here.has(id)), at: now };
  }

  // Activity (SPEC 10): each event counted is an entry of its room's log.

  /** The room that would count more kinds than allowed in its open period, if any. */
  private tooManyKinds(events: readonly ActivityEvent[]): string | undefined {
    const max = this.rules.activityMaxKinds ?? defaultActivityMaxKinds;
    const rooms = new Set(events.map((e) => e.room));
    return [...rooms].find((room) => {
      const entries = this.logs.get(room)?.entries ?? [];
      const open = entries.slice(entries.findLastIndex((e) => e.kind === 'read') + 1);
      const kinds = new Set(open.flatMap((e) => (e.kind === 'activity' ? [e.activity] : [])));
      for (const e of events) if (e.room === room) kinds.add(e.kind);
      return kinds.size > max;
    });
  }

  /**
   * A backend's events, at one store time, or each room's at its own (roomsAt: a batch spread over
   * Cluster slots, one call each; the kinds were checked in every slot before any counted).
   */
  recordActivity(
    now: number,
    events: readonly ActivityEvent[],
    roomsAt: Record<string, number> = {},
  ): ActivityOutcome {
    const room = this.tooManyKinds(events);
    if (room !== undefined) return { accepted: false, reason: 'too_many_kinds', room, at: now };
    const times: Record<string, number> = {};
    for (const e of events) times[e.room] = roomsAt[e.room] ?? now;
    for (const e of events) this.logActivity(e.room, times[e.room]!, e.kind, e.n);
    return { accepted: true, at: Math.max(...Object.values(times)), roomsAt: times };
  }

  pageActivity(now: number, event: PageActivity): ActivityOutcome {
    const session = this.rooms.get(event.room)?.sessions.get(event.session);
    if (!session || !isOnline(session, now)) return { accepted: false, reason: 'offline', at: now };
    const elapsedMs = now - (session.lastActivity ?? Number.NEGATIVE_INFINITY);
    const gapMs = this.rules.pageActivityGapMs ?? pageActivityGapMs;
    if (elapsedMs < gapMs)
      return {
        accepted: false,
        reason: 'too_fast',
        retryAfterMs: gapMs - elapsedMs,
        at: now,
      };
    const outcome = this.recordActivity(now, [event]);
    if (outcome.accepted) session.lastActivity = now;
    return outcome;
  }

  // The archive half. Each room keeps a log of what happened in it, from its first heartbeat until
  // the archive has written all of it; every figure of a reading is counted from the log when it is
  // read, never kept as a running total. Readings are known by their time, as in the stores: two
  // readings of the same millisecond are one to a commit.

  /** An accepted heartbeat begins the room's log when it has none. */
  private logBeat(roomId: string, beat: Omit<Beat, 'kind'>): void {
    const log = this.logs.get(roomId) ?? this.newLog(roomId);
    log.entries.push({ kind: 'beat', ...beat });
  }

  /** Activity may come first: it begins the room's log when it has none. */
  private logActivity(roomId: string, at: number, activity: string, n: number): void {
    const log = this.logs.get(roomId) ?? this.newLog(roomId);
    log.entries.push({ kind: 'activity', at, activity, n });
  }

  /** Only an online session leaves, so its room has a log. */
  private logLeave(roomId: string, now: number, session: string, deadline: number): void {
    this.logs.get(roomId)?.entries.push({ kind: 'leave', at: now, session, deadline });
  }

  /** The room's live period while it has sessions online (counts show its peak). */
  private openLive(roomId: string): LivePeriodReading | null {
    return livePeriods(this.logs.get(roomId)?.entries ?? [], false).at(-1) ?? null;
  }

  /** A room's log begins with what began its accumulators: it is to be archived again. */
  private newLog(roomId: string): RoomLog {
    const log = { entries: [], cut: -1, archived: new Set<number>() };
    this.logs.set(roomId, log);
    this.lingering.delete(roomId);
    return log;
  }

  roomsToArchive(): string[] {
    return [...this.logs.keys(), ...this.lingering];
  }

  /**
   * What the snapshot job archives of one room at this moment: the snapshot period, from the last
   * committed reading (or the room's first heartbeat) to now, and the live periods not archived.
   * A reading that is never committed is simply not a cut in the log, so the next one covers its
   * time as well: nothing is lost when a write fails.
   */
  read(now: number, roomId: string): RoomReading | null {
    const log = this.logs.get(roomId);
    if (!log) {
      // A room forgotten in the millisecond it began leaves the rooms to archive once read.
      this.lingering.delete(roomId);
      return null;
    }
    const tally = this.tally(this.rooms.get(roomId), now);
    const period = periodOf(log.entries.slice(Math.max(log.cut, 0)));
    const lives = livePeriods(log.entries, tally.sessions === 0);
    log.entries.push({ kind: 'read', at: now, ...tally });
    const last = lives.at(-1);
    return {
      room: roomId,
      at: now,
      ...tally,
      period,
      live: last && last.end === null ? last : null,
      closed: lives.filter((l) => l.end !== null && !log.archived.has(l.start)),
      busiestAddress: this.busiestAddress(this.rooms.get(roomId), now),
    };
  }

  /**
   * The reading was written. Its ended live periods are archived. When it is the latest reading,
   * the next period starts there; an earlier one (a late commit, or a retry of one) moves nothing,
   * since the latest reading already holds its period and only that reading's commit may let it go.
   * The room is forgotten once nothing in its log is left to archive: nothing happened since the
   * last committed reading, and every live period is archived.
   */
  commit(reading: RoomReading): void {
    const log = this.logs.get(reading.room);
    if (!log) return;
    for (const ended of reading.closed) log.archived.add(ended.start);
    const latest = log.entries.findLastIndex((e) => e.kind === 'read');
    if (latest >= 0 && log.entries[latest]!.at === reading.at) log.cut = latest;
    const nothingSince = log.cut === log.entries.length - 1;
    if (
      nothingSince &&
      liveStarts(log.entries).every((i) => log.archived.has(log.entries[i]!.at))
    ) {
      this.logs.delete(reading.room);
      // The rooms to archive know a room by when its accumulators began: one read in that same
      // millisecond cannot tell what came before it from what came after, so the room stays there
      // until the next reading finds nothing.
      if (log.entries[0]!.at >= reading.at) this.lingering.add(reading.room);
    }
  }
}

/** List order: since, then id. */
const byPosition = (a: ViewerPosition, b: ViewerPosition) =>
  a.since - b.since || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A moment: a store time (ms), and the order of a heartbeat within it (Infinity: its end). */
interface Instant {
  at: number;
  beat: number;
}

const later = (a: Instant, b: Instant) => a.at > b.at || (a.at === b.at && a.beat > b.beat);

/**
 * When the viewer's current online stretch began: the start of the earliest span that reaches the
 * latest one through spans each beginning before the one before it ended (a span that begins
 * after every earlier one ended starts a new stretch). Every span has begun by now.
 */
function stretchStart(spans: Span[]): number {
  const sorted = [...spans].sort((a, b) => (later(a.from, b.from) ? 1 : -1));
  let start = sorted[0]!.from;
  let reach = sorted[0]!.until;
  for (const span of sorted) {
    if (later(span.from, reach)) start = span.from;
    if (later(span.from, reach) || later(span.until, reach)) reach = span.until;
  }
  return start.at;
}

/** An accepted heartbeat: the counts right after it, and the deadline it gave its session. */
interface Beat {
  kind: 'beat';
  at: number;
  session: string;
  viewer: string;
  entry: string | undefined;
  deadline: number;
  joined: boolean;
  sessions: number;
  viewers: number;
}

type Entry =
  | Beat
  /** A leave of an online session: the nearer deadline it gave it. */
  | { kind: 'leave'; at: number; session: string; deadline: number }
  /** A reading, with the counts at that moment. */
  | { kind: 'read'; at: number; sessions: number; viewers: number }
  /** Activity counted: n events of one kind. */
  | { kind: 'activity'; at: number; activity: string; n: number };

interface RoomLog {
  /** Oldest first. */
  entries: Entry[];
  /** Index of the last reading committed while it was the latest; -1 before the first. */
  cut: number;
  /** Starts of the live periods that a committed reading held as ended. */
  archived: Set<number>;
}

const isJoin = (e: Entry): e is Beat => e.kind === 'beat' && e.joined;

/** Where each live period starts: a join that leaves one session online (the room was empty). */
const liveStarts = (entries: Entry[]) =>
  entries.flatMap((e, i) => (isJoin(e) && e.sessions === 1 ? [i] : []));

type Sample = { at: number; count: number };

/** The highest count, with the time it was first reached. */
function highest(samples: Sample[]): Sample {
  return samples.reduce((best, s) => (s.count > best.count ? s : best));
}

/**
 * A snapshot period, from the first entry given (the reading that began it, or the room's first
 * heartbeat). Its peaks are the highest counts logged since; a reading in between, never committed,
 * adds nothing, as counts only rise on a heartbeat.
 */
function periodOf(entries: Entry[]): PeriodAccumulators {
  const since = entries[0]!.at;
  // A period that began with activity starts at no one: a peak of 0 then.
  const counted = [
    { at: since, sessions: 0, viewers: 0 },
    ...entries.filter((e) => e.kind === 'beat' || e.kind === 'read'),
  ];
  const sessions = highest(counted.map((e) => ({ at: e.at, count: e.sessions })));
  const viewers = highest(counted.map((e) => ({ at: e.at, count: e.viewers })));
  const activity: Record<string, number> = {};
  for (const e of entries)
    if (e.kind === 'activity') activity[e.activity] = (activity[e.activity] ?? 0) + e.n;
  const joins = entries.filter(isJoin);
  const joinsByEntry: Record<string, number> = {};
  for (const { entry } of joins) if (entry) joinsByEntry[entry] = (joinsByEntry[entry] ?? 0) + 1;
  return {
    since,
    peakSessions: sessions.count,
    peakSessionsAt: sessions.at,
    peakViewers: viewers.count,
    peakViewersAt: viewers.at,
    joins: joins.length,
    joinsByEntry,
    activity,
  };
}

/**
 * The live periods of a log, oldest first. Each ends when the room empties: at the latest deadline
 * its sessions held before the next one started, or, for the last, only when `emptyNow`.
 */
function livePeriods(entries: Entry[], emptyNow: boolean): LivePeriodReading[] {
  const starts = liveStarts(entries);
  return starts.map((from, n) => {
    const to = starts[n + 1] ?? entries.length;
    const beats = entries.slice(from, to).filter((e): e is Beat => e.kind === 'beat');
    const start = entries[from]!.at;
    const sessions = highest(beats.map((b) => ({ at: b.at, count: b.sessions })));
    const viewers = highest(beats.map((b) => ({ at: b.at, count: b.viewers })));
    const ended = to < entries.length || emptyNow;
    return {
      start,
      end: ended ? Math.max(start, ...lastDeadlines(entries.slice(0, to))) : null,
      peakSessions: sessions.count,
      peakSessionsAt: sessions.at,
      peakViewers: viewers.count,
      peakViewersAt: viewers.at,
      joins: beats.filter(isJoin).length,
      uniqueViewers: new Set(beats.map((b) => b.viewer)).size,
    };
  });
}

/** Each session's deadline as its latest heartbeat or leave left it. */
function lastDeadlines(entries: Entry[]): number[] {
  const deadlines = new Map<string, number>();
  for (const e of entries)
    if (e.kind === 'beat' || e.kind === 'leave') deadlines.set(e.session, e.deadline);
  return [...deadlines.values()];
}
