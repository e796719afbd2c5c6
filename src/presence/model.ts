// The rules of SPEC section 2, written once, to be read rather than run fast: every session is
// kept with its deadline, state and viewer, and every count filters them. Both stores are checked
// against this model, answer by answer, by test/presence/model.property.test.ts.
import type {
  Heartbeat,
  HeartbeatOutcome,
  LeaveOutcome,
  LivePeriodReading,
  PeriodAccumulators,
  PresenceRules,
  RoomCount,
  RoomReading,
  SessionState,
} from './store.js';
import { maxStretch } from './store.js';

interface ModelSession {
  /** Store time (ms) until which the session is online, inclusive. */
  deadline: number;
  state: SessionState;
  /** The viewer named by its latest accepted heartbeat, or `~session` when it named none. */
  viewer: string;
  /** Time of its latest accepted heartbeat; null after a leave, so a reload is never refused. */
  lastBeat: number | null;
}

interface ModelLive {
  start: number;
  peakSessions: number;
  peakSessionsAt: number;
  peakViewers: number;
  peakViewersAt: number;
  joins: number;
  /** Every viewer a session took on during the live period. */
  seen: Set<string>;
}

interface ModelRoom {
  sessions: Map<string, ModelSession>;
  /** The snapshot period open now. */
  period: PeriodAccumulators;
  /** Periods read but not yet committed, merged into one, with the time of the latest reading. */
  pending: (PeriodAccumulators & { readAt: number }) | null;
  live: ModelLive | null;
  /** Live periods that ended and are not archived yet. */
  closed: LivePeriodReading[];
}

const ownViewer = (hb: Heartbeat) => hb.viewer ?? `~${hb.session}`;
const isOnline = (s: ModelSession | undefined, now: number) => s !== undefined && s.deadline >= now;

/** The peak with the higher value; on a tie the one reached first. */
function higherPeak(a: { value: number; at: number }, b: { value: number; at: number }) {
  return b.value > a.value || (b.value === a.value && b.at < a.at) ? b : a;
}

export class PresenceModel {
  private readonly rooms = new Map<string, ModelRoom>();

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

  /** When the room emptied: the latest deadline of any of its sessions. */
  private liveEnd(room: ModelRoom, live: ModelLive): number {
    return Math.max(live.start, ...[...room.sessions.values()].map((s) => s.deadline));
  }

  private endedLive(room: ModelRoom, live: ModelLive): LivePeriodReading {
    return { ...this.liveReading(live), end: this.liveEnd(room, live) };
  }

  private liveReading(live: ModelLive): LivePeriodReading {
    const { seen, ...peaks } = live;
    return { ...peaks, end: null, uniqueViewers: seen.size };
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

    const r: ModelRoom = room ?? {
      sessions: new Map(),
      period: newPeriod(now, 0, 0),
      pending: null,
      live: null,
      closed: [],
    };
    this.rooms.set(hb.room, r);
    const joined = !online;
    const sessionsBefore = this.tally(r, now).sessions;
    if (joined && sessionsBefore === 0) {
      if (r.live) r.closed.push(this.endedLive(r, r.live));
      r.live = { ...newPeaks(now), start: now, joins: 0, seen: new Set() };
    }
    const live = r.live!;
    const stretch = Math.max(hb.stretch ?? 1, this.sizeStretch(sessionsBefore));
    const ttlMs =
      (hb.state === 'visible' ? this.rules.visibleTtlMs : this.rules.hiddenTtlMs) * stretch;
    r.sessions.set(hb.session, { deadline: now + ttlMs, state: hb.state, viewer, lastBeat: now });
    live.seen.add(viewer);
    if (joined) {
      r.period.joins += 1;
      live.joins += 1;
      if (hb.entry) r.period.joinsByEntry[hb.entry] = (r.period.joinsByEntry[hb.entry] ?? 0) + 1;
    }
    const { sessions, viewers } = this.tally(r, now);
    for (const peaks of [r.period, live]) raisePeaks(peaks, sessions, viewers, now);
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
    session.lastBeat = null;
    return { left: true, at: now };
  }

  count(now: number, roomId: string): RoomCount {
    const room = this.rooms.get(roomId);
    const tally = this.tally(room, now);
    const live = tally.sessions > 0 ? room!.live! : null;
    return {
      ...tally,
      peak: live
        ? { sessions: live.peakSessions, viewers: live.peakViewers, at: live.peakSessionsAt }
        : { sessions: 0, viewers: 0, at: null },
      at: now,
    };
  }

  roomsToArchive(): string[] {
    return [...this.rooms.keys()];
  }

  /**
   * What the snapshot job archives of one room: the periods since the last commit merged into
   * one, and the live periods. The open period ends here; the next one begins with the count of
   * this moment as its first peak.
   */
  read(now: number, roomId: string): RoomReading | null {
    const room = this.rooms.get(roomId);
    if (!room) return null;
    const tally = this.tally(room, now);
    const pending = mergePeriods(room.pending, room.period);
    room.pending = { ...pending, readAt: now };
    room.period = newPeriod(now, tally.sessions, tally.viewers);
    const closed = [...room.closed];
    let live: LivePeriodReading | null = null;
    if (room.live && tally.sessions === 0) closed.push(this.endedLive(room, room.live));
    else if (room.live) live = this.liveReading(room.live);
    return { room: roomId, at: now, ...tally, period: pending, live, closed };
  }

  /**
   * After the reading was written: forget what it held, and the room once nothing is left. A room
   * with no live period and no join since the reading is empty, so this needs no clock.
   */
  commit(reading: RoomReading): void {
    const room = this.rooms.get(reading.room);
    if (!room) return;
    if (room.pending?.readAt === reading.at) room.pending = null;
    const archived = new Set(reading.closed.map((c) => c.start));
    room.closed = room.closed.filter((c) => !archived.has(c.start));
    if (room.live && archived.has(room.live.start)) room.live = null;
    if (!room.live && room.closed.length === 0 && !room.pending && room.period.joins === 0)
      this.rooms.delete(reading.room);
  }
}

const newPeaks = (now: number) => ({
  peakSessions: 0,
  peakSessionsAt: now,
  peakViewers: 0,
  peakViewersAt: now,
});

const newPeriod = (now: number, sessions: number, viewers: number): PeriodAccumulators => ({
  since: now,
  peakSessions: sessions,
  peakSessionsAt: now,
  peakViewers: viewers,
  peakViewersAt: now,
  joins: 0,
  joinsByEntry: {},
});

type Peaks = ReturnType<typeof newPeaks>;

/** Counts only rise on a heartbeat, so raising the peaks there makes them exact. */
function raisePeaks(peaks: Peaks, sessions: number, viewers: number, now: number) {
  if (sessions > peaks.peakSessions)
    Object.assign(peaks, { peakSessions: sessions, peakSessionsAt: now });
  if (viewers > peaks.peakViewers)
    Object.assign(peaks, { peakViewers: viewers, peakViewersAt: now });
}

function mergePeriods(a: PeriodAccumulators | null, b: PeriodAccumulators): PeriodAccumulators {
  if (!a) return { ...b, joinsByEntry: { ...b.joinsByEntry } };
  const sessions = higherPeak(
    { value: a.peakSessions, at: a.peakSessionsAt },
    { value: b.peakSessions, at: b.peakSessionsAt },
  );
  const viewers = higherPeak(
    { value: a.peakViewers, at: a.peakViewersAt },
    { value: b.peakViewers, at: b.peakViewersAt },
  );
  const joinsByEntry = { ...a.joinsByEntry };
  for (const [entry, joins] of Object.entries(b.joinsByEntry))
    joinsByEntry[entry] = (joinsByEntry[entry] ?? 0) + joins;
  return {
    since: a.since,
    peakSessions: sessions.value,
    peakSessionsAt: sessions.at,
    peakViewers: viewers.value,
    peakViewersAt: viewers.at,
    joins: a.joins + b.joins,
    joinsByEntry,
  };
}
