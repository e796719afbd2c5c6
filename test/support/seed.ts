// Seeds archive rows directly, for the read-side suites (history, periods, rollups, analytics).
import type { Database } from '../../src/db/client.js';
import {
  type LivePeriodRow,
  livePeriods,
  type SnapshotEntryRow,
  type SnapshotRow,
  snapshotEntries,
  snapshots,
} from '../../src/db/schema/index.js';

export interface Minute {
  /** ISO time the one-minute period starts. */
  start: string;
  sessions: number;
  viewers?: number;
  peakSessions?: number;
  /** ISO; default: the period start. */
  peakSessionsAt?: string;
  peakViewers?: number;
  joins?: number;
  /** Period length in minutes (longer after an outage); default 1. */
  minutes?: number;
}

export function snapshotRow(room: string, m: Minute): SnapshotRow {
  const start = new Date(m.start);
  const viewers = m.viewers ?? m.sessions;
  const peakSessions = m.peakSessions ?? m.sessions;
  const peakViewers = m.peakViewers ?? viewers;
  return {
    room,
    periodStart: start,
    periodEnd: new Date(start.getTime() + (m.minutes ?? 1) * 60_000),
    sessions: m.sessions,
    viewers,
    visible: m.sessions,
    peakSessions,
    peakSessionsAt: peakSessions > 0 ? new Date(m.peakSessionsAt ?? m.start) : null,
    peakViewers,
    peakViewersAt: peakViewers > 0 ? start : null,
    joins: m.joins ?? 0,
  };
}

export async function seedSnapshots(database: Database, room: string, minutes: Minute[]) {
  for (let i = 0; i < minutes.length; i += 1_000) {
    await database.db
      .insert(snapshots)
      .values(minutes.slice(i, i + 1_000).map((m) => snapshotRow(room, m)));
  }
}

export async function seedEntries(database: Database, rows: SnapshotEntryRow[]) {
  if (rows.length > 0) await database.db.insert(snapshotEntries).values(rows);
}

export async function seedLivePeriods(database: Database, rows: LivePeriodRow[]) {
  if (rows.length > 0) await database.db.insert(livePeriods).values(rows);
}

/** A live period row with defaults; times as ISO strings. */
export function livePeriodRow(
  room: string,
  startedAt: string,
  endedAt: string | null,
  f: Partial<Omit<LivePeriodRow, 'room' | 'startedAt' | 'endedAt'>> = {},
): LivePeriodRow {
  return {
    room,
    startedAt: new Date(startedAt),
    endedAt: endedAt === null ? null : new Date(endedAt),
    peakSessions: 1,
    peakSessionsAt: new Date(startedAt),
    peakViewers: 1,
    peakViewersAt: new Date(startedAt),
    joins: 1,
    uniqueViewersEstimate: 1,
    ...f,
  };
}
