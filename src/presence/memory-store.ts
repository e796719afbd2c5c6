// The presence rules in-process, for a single instance with nothing else installed. Same
// contract and same tests as the Redis store; time is this process's clock, expired entries
// leave through a heap of deadlines, so counts stay cheap however large the room.
import { randomBytes } from 'node:crypto';
import { Heap } from 'heap-js';
import { viewerMember } from './keys.js';
import type {
  ActiveRoom,
  Heartbeat,
  HeartbeatOutcome,
  LivePeriodReading,
  PresenceRules,
  PresenceStore,
  RoomCount,
  RoomReading,
} from './store.js';

interface Session {
  state: 'visible' | 'hidden';
  viewer: string;
  deadline: number;
  /** Time of the latest heartbeat; -Infinity after a leave, so a reload is never refused. */
  lastBeat: number;
}

interface Peaks {
  ps: number;
  pst: number;
  pv: number;
  pvt: number;
  j: number;
}

interface Period extends Peaks {
  since: number;
  entries: Map<string, number>;
}

interface Live extends Peaks {
  start: number;
  uniques: Set<string>;
}

interface Expiry {
  deadline: number;
  session?: string;
  viewer?: string;
}

class Room {
  readonly sessions = new Map<string, Session>();
  readonly viewers = new Map<string, number>();
  readonly expiries = new Heap<Expiry>((a, b) => a.deadline - b.deadline);
  visible = 0;
  /** Latest deadline of the sessions that expired: when the room emptied. */
  lastExpired = 0;
  period: Period | null = null;
  live: Live | null = null;
  readonly closed = new Map<number, LivePeriodReading>();

  /** Removes every session and viewer whose deadline is before now. */
  expire(now: number) {
    for (let top = this.expiries.peek(); top && top.deadline < now; top = this.expiries.peek()) {
      this.expiries.pop();
      if (top.session !== undefined) {
        const s = this.sessions.get(top.session);
        if (s?.deadline !== top.deadline) continue;
        this.sessions.delete(top.session);
        if (s.state === 'visible') this.visible--;
        this.lastExpired = Math.max(this.lastExpired, s.deadline);
      } else if (top.viewer !== undefined && this.viewers.get(top.viewer) === top.deadline) {
        this.viewers.delete(top.viewer);
      }
    }
  }

  setSession(id: string, session: Session) {
    const previous = this.sessions.get(id);
    if (previous?.state === 'visible') this.visible--;
    if (session.state === 'visible') this.visible++;
    this.sessions.set(id, session);
    this.expiries.push({ deadline: session.deadline, session: id });
  }

  setViewer(viewer: string, deadline: number) {
    this.viewers.set(viewer, deadline);
    this.expiries.push({ deadline, viewer });
  }
}

const newPeaks = (now: number): Peaks => ({ ps: 0, pst: now, pv: 0, pvt: now, j: 0 });

const raisePeaks = (p: Peaks, sessions: number, viewers: number, now: number) => {
  if (sessions > p.ps) Object.assign(p, { ps: sessions, pst: now });
  if (viewers > p.pv) Object.assign(p, { pv: viewers, pvt: now });
};

const liveReading = (live: Live, end: number | null): LivePeriodReading => ({
  start: live.start,
  end,
  peakSessions: live.ps,
  peakSessionsAt: live.pst,
  peakViewers: live.pv,
  peakViewersAt: live.pvt,
  joins: live.j,
  uniqueViewers: live.uniques.size,
});

export class MemoryPresenceStore implements PresenceStore {
  readonly kind = 'embedded';
  private readonly rooms = new Map<string, Room>();
  private readonly locks = new Map<string, { token: string; until: number }>();

  constructor(
    private readonly rules: PresenceRules,
    private readonly clock: () => number = Date.now,
  ) {}

  async heartbeat(hb: Heartbeat): Promise<HeartbeatOutcome> {
    const now = this.clock();
    let room = this.rooms.get(hb.room);
    if (!room) {
      room = new Room();
      this.rooms.set(hb.room, room);
    }
    room.expire(now);
    const visible = hb.state === 'visible';
    const ttlMs = visible ? this.rules.visibleTtlMs : this.rules.hiddenTtlMs;
    const minGapMs = Math.floor(
      (visible ? this.rules.visibleIntervalMs : this.rules.hiddenIntervalMs) / 3,
    );
    const previous = room.sessions.get(hb.session);
    if (previous?.state === hb.state && now - previous.lastBeat < minGapMs) {
      return { accepted: false, retryAfterMs: minGapMs - (now - previous.lastBeat) };
    }

    if (room.sessions.size === 0) this.startLivePeriod(room, now);
    const live = room.live!;
    const viewer = viewerMember(hb.session, hb.viewer);
    const deadline = now + ttlMs;
    room.setSession(hb.session, { state: hb.state, viewer, deadline, lastBeat: now });
    // A viewer's deadline follows the session that set it, and otherwise only grows.
    const viewerDeadline = room.viewers.get(viewer);
    if (
      viewerDeadline === undefined ||
      viewerDeadline < deadline ||
      viewerDeadline === previous?.deadline
    ) {
      room.setViewer(viewer, deadline);
    }

    room.period ??= { since: now, entries: new Map(), ...newPeaks(now) };
    const period = room.period;
    const joined = previous === undefined;
    if (joined) {
      period.j++;
      live.j++;
      if (hb.entry) period.entries.set(hb.entry, (period.entries.get(hb.entry) ?? 0) + 1);
      live.uniques.add(viewer);
    }
    const sessions = room.sessions.size;
    const viewers = room.viewers.size;
    raisePeaks(period, sessions, viewers, now);
    raisePeaks(live, sessions, viewers, now);
    return { accepted: true, sessions, viewers, joined, at: now };
  }

  private startLivePeriod(room: Room, now: number) {
    if (room.live) {
      const end = Math.max(room.lastExpired, room.live.start);
      room.closed.set(room.live.start, liveReading(room.live, end));
    }
    room.live = { start: now, uniques: new Set(), ...newPeaks(now) };
  }

  async leave(roomId: string, sessionId: string): Promise<void> {
    const now = this.clock();
    const room = this.rooms.get(roomId);
    if (!room) return;
    room.expire(now);
    const session = room.sessions.get(sessionId);
    const deadline = now + this.rules.leaveGraceMs;
    if (!session || session.deadline <= deadline) return;
    if (room.viewers.get(session.viewer) === session.deadline)
      room.setViewer(session.viewer, deadline);
    room.setSession(sessionId, { ...session, deadline, lastBeat: Number.NEGATIVE_INFINITY });
  }

  async count(roomId: string): Promise<RoomCount> {
    const now = this.clock();
    const room = this.rooms.get(roomId);
    room?.expire(now);
    const sessions = room?.sessions.size ?? 0;
    const live = sessions > 0 ? room?.live : undefined;
    return {
      sessions,
      viewers: room?.viewers.size ?? 0,
      visible: room?.visible ?? 0,
      peak: live
        ? { sessions: live.ps, viewers: live.pv, at: live.pst }
        : { sessions: 0, viewers: 0, at: null },
      at: now,
    };
  }

  async counts(rooms: readonly string[]): Promise<Map<string, RoomCount>> {
    const counts = new Map<string, RoomCount>();
    for (const room of rooms) counts.set(room, await this.count(room));
    return counts;
  }

  async activeRooms(limit: number): Promise<ActiveRoom[]> {
    const active: ActiveRoom[] = [];
    for (const room of this.rooms.keys()) {
      const count = await this.count(room);
      if (count.sessions > 0) active.push({ room, ...count });
    }
    return active
      .sort((a, b) => b.sessions - a.sessions || a.room.localeCompare(b.room))
      .slice(0, limit);
  }

  async now(): Promise<number> {
    return this.clock();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.rooms.clear();
  }

  async roomsToArchive(): Promise<string[]> {
    return [...this.rooms.keys()];
  }

  async readRooms(rooms: readonly string[]): Promise<RoomReading[]> {
    const now = this.clock();
    const readings: RoomReading[] = [];
    for (const id of rooms) {
      const room = this.rooms.get(id);
      if (!room) continue;
      room.expire(now);
      const sessions = room.sessions.size;
      const closed = [...room.closed.values()];
      let live: LivePeriodReading | null = null;
      if (room.live && sessions === 0) {
        closed.push(liveReading(room.live, Math.max(room.lastExpired, room.live.start)));
      } else if (room.live) {
        live = liveReading(room.live, null);
      }
      if (!room.period && !live && closed.length === 0) {
        this.rooms.delete(id);
        continue;
      }
      const p = room.period;
      readings.push({
        room: id,
        at: now,
        sessions,
        viewers: room.viewers.size,
        visible: room.visible,
        period: {
          since: p?.since ?? now,
          peakSessions: p?.ps ?? 0,
          peakSessionsAt: p?.pst ?? now,
          peakViewers: p?.pv ?? 0,
          peakViewersAt: p?.pvt ?? now,
          joins: p?.j ?? 0,
          joinsByEntry: Object.fromEntries(p?.entries ?? []),
        },
        live,
        closed: closed.sort((a, b) => a.start - b.start),
      });
    }
    return readings;
  }

  async commitReadings(readings: readonly RoomReading[]): Promise<void> {
    const now = this.clock();
    for (const reading of readings) {
      const room = this.rooms.get(reading.room);
      if (!room) continue;
      room.expire(now);
      for (const ended of reading.closed) {
        room.closed.delete(ended.start);
        if (room.live?.start === ended.start) room.live = null;
      }
      const period = room.period;
      if (period) {
        period.j -= reading.period.joins;
        for (const [entry, joins] of Object.entries(reading.period.joinsByEntry)) {
          const left = (period.entries.get(entry) ?? 0) - joins;
          if (left > 0) period.entries.set(entry, left);
          else period.entries.delete(entry);
        }
        period.since = reading.at;
        // The next period starts from the count at the reading, unless a later heartbeat
        // already set a higher peak.
        const sessions = room.sessions.size;
        const viewers = room.viewers.size;
        if (period.pst <= reading.at) {
          Object.assign(
            period,
            sessions > reading.sessions
              ? { ps: sessions, pst: now }
              : { ps: reading.sessions, pst: reading.at },
          );
        }
        if (period.pvt <= reading.at) {
          Object.assign(
            period,
            viewers > reading.viewers
              ? { pv: viewers, pvt: now }
              : { pv: reading.viewers, pvt: reading.at },
          );
        }
      }
      if (
        room.sessions.size === 0 &&
        !room.live &&
        room.closed.size === 0 &&
        (period?.j ?? 0) === 0
      ) {
        this.rooms.delete(reading.room);
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
