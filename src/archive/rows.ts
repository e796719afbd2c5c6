// What the snapshot writes, as rows: pure functions of the readings taken from the presence
// store. No database here; the statements that write these rows are in statements.ts.
import type {
  LivePeriodRow,
  RoomPeakRow,
  SnapshotActivityRow,
  SnapshotEntryRow,
  SnapshotRow,
} from '../db/schema/index.js';
import type { LivePeriodReading, RoomReading } from '../presence/store.js';

/** A peak and when it was first reached. */
export interface PeakAt {
  value: number;
  at: number | null;
}

/** Every row one snapshot writes, one reading per room. */
export interface ArchiveRows {
  readings: RoomReading[];
  snapshots: SnapshotRow[];
  livePeriods: LivePeriodRow[];
  roomPeaks: RoomPeakRow[];
}

export function archiveRows(readings: readonly RoomReading[]): ArchiveRows {
  const latest = latestPerRoom(readings);
  const snapshots = latest.map(snapshotRow);
  return {
    readings: latest,
    snapshots,
    livePeriods: livePeriodRows(latest),
    roomPeaks: roomPeakRows(latest, snapshots),
  };
}

/**
 * The peak of a snapshot period. The accumulator only moves on a heartbeat, and counts only rise
 * on a heartbeat, so a count at the end above the accumulator's peak was already there when the
 * period began: the peak is then the end count, reached at the period's start.
 */
export function periodPeak(peak: number, peakAt: number, endCount: number, since: number): PeakAt {
  if (endCount > peak) return { value: endCount, at: since };
  if (peak <= 0) return { value: 0, at: null };
  return { value: peak, at: peakAt > 0 ? peakAt : since };
}

/** The higher peak; on a tie, the earlier time (peaks keep the time they were first reached). */
function higher(a: PeakAt, b: PeakAt): PeakAt {
  if (a.value !== b.value) return a.value > b.value ? a : b;
  if (a.at === null) return b;
  if (b.at === null) return a;
  return a.at <= b.at ? a : b;
}

/** One reading per room (the latest), so a multi-row upsert never touches a row twice. */
function latestPerRoom(readings: readonly RoomReading[]): RoomReading[] {
  const byRoom = new Map<string, RoomReading>();
  for (const r of readings) {
    const seen = byRoom.get(r.room);
    if (!seen || r.at > seen.at) byRoom.set(r.room, r);
  }
  return [...byRoom.values()];
}

function snapshotRow(r: RoomReading): SnapshotRow {
  const since = Math.min(r.period.since, r.at);
  const sessions = periodPeak(r.period.peakSessions, r.period.peakSessionsAt, r.sessions, since);
  const viewers = periodPeak(r.period.peakViewers, r.period.peakViewersAt, r.viewers, since);
  return {
    room: r.room,
    periodStart: new Date(since),
    periodEnd: new Date(r.at),
    sessions: r.sessions,
    viewers: r.viewers,
    visible: r.visible,
    peakSessions: sessions.value,
    peakSessionsAt: toDate(sessions.at),
    peakViewers: viewers.value,
    peakViewersAt: toDate(viewers.at),
    joins: r.period.joins,
  };
}

export function entryRows(r: RoomReading): SnapshotEntryRow[] {
  return Object.entries(r.period.joinsByEntry)
    .filter(([, joins]) => joins > 0)
    .map(([entry, joins]) => ({ room: r.room, periodEnd: new Date(r.at), entry, joins }));
}

/** The activity of a reading's period by kind, on the period of its snapshot row (periodStart). */
export function activityRows(r: RoomReading, periodStart: Date): SnapshotActivityRow[] {
  return Object.entries(r.period.activity)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => ({
      room: r.room,
      periodStart,
      periodEnd: new Date(r.at),
      kind,
      count,
    }));
}

const periodsOf = (r: RoomReading) => (r.live ? [...r.closed, r.live] : r.closed);

function livePeriodRows(readings: readonly RoomReading[]): LivePeriodRow[] {
  const byKey = new Map<string, LivePeriodRow>();
  for (const r of readings) {
    for (const p of periodsOf(r)) {
      const row = livePeriodRow(r.room, p);
      const key = `${r.room}\u0000${p.start}`;
      const seen = byKey.get(key);
      byKey.set(key, seen ? mergeLivePeriod(seen, row) : row);
    }
  }
  return [...byKey.values()];
}

function livePeriodRow(room: string, p: LivePeriodReading): LivePeriodRow {
  return {
    room,
    startedAt: new Date(p.start),
    endedAt: p.end === null ? null : new Date(Math.max(p.end, p.start)),
    peakSessions: p.peakSessions,
    peakSessionsAt: new Date(p.peakSessionsAt || p.start),
    peakViewers: p.peakViewers,
    peakViewersAt: new Date(p.peakViewersAt || p.start),
    joins: p.joins,
    uniqueViewersEstimate: Math.round(p.uniqueViewers),
  };
}

function mergeLivePeriod(a: LivePeriodRow, b: LivePeriodRow): LivePeriodRow {
  const s = higher(
    { value: a.peakSessions, at: a.peakSessionsAt.getTime() },
    { value: b.peakSessions, at: b.peakSessionsAt.getTime() },
  );
  const v = higher(
    { value: a.peakViewers, at: a.peakViewersAt.getTime() },
    { value: b.peakViewers, at: b.peakViewersAt.getTime() },
  );
  return {
    ...a,
    endedAt: a.endedAt ?? b.endedAt ?? null,
    peakSessions: s.value,
    peakSessionsAt: new Date(s.at ?? a.startedAt.getTime()),
    peakViewers: v.value,
    peakViewersAt: new Date(v.at ?? a.startedAt.getTime()),
    joins: Math.max(a.joins, b.joins),
    uniqueViewersEstimate: Math.max(a.uniqueViewersEstimate, b.uniqueViewersEstimate),
  };
}

/** The highest peaks each room reached in what was read: its period and its live periods. */
function roomPeakRows(
  readings: readonly RoomReading[],
  rows: readonly SnapshotRow[],
): RoomPeakRow[] {
  const out: RoomPeakRow[] = [];
  readings.forEach((r, i) => {
    const row = rows[i]!;
    let s: PeakAt = { value: row.peakSessions, at: row.peakSessionsAt?.getTime() ?? null };
    let v: PeakAt = { value: row.peakViewers, at: row.peakViewersAt?.getTime() ?? null };
    for (const p of periodsOf(r)) {
      s = higher(s, { value: p.peakSessions, at: p.peakSessionsAt || p.start });
      v = higher(v, { value: p.peakViewers, at: p.peakViewersAt || p.start });
    }
    if (s.value <= 0 || s.at === null) return;
    out.push({
      room: r.room,
      peakSessions: s.value,
      peakSessionsAt: new Date(s.at),
      peakViewers: v.value,
      peakViewersAt: new Date(v.at ?? s.at),
    });
  });
  return out;
}

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));
