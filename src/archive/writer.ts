// Writes what the snapshot job read from the presence store to PostgreSQL: one transaction,
// multi-row statements, safe to repeat (a retry of the same readings changes nothing).
import { and, eq, getTableColumns, gt, lt, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client.js';
import {
  type LivePeriodRow,
  livePeriods,
  type RoomPeakRow,
  roomPeaks,
  type SnapshotEntryRow,
  type SnapshotRow,
  snapshotEntries,
  snapshots,
} from '../db/schema/index.js';
import type { LivePeriodReading, RoomReading } from '../presence/store.js';

export interface WriteResult {
  /** Snapshot rows written (new, or replacing a shorter reading of the same period). */
  snapshots: number;
  /** Readings whose row was already there (a retry). */
  unchanged: number;
  entries: number;
  livePeriods: number;
}

/** A peak and when it was first reached. */
interface PeakAt {
  value: number;
  at: number | null;
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

/** Writes the readings in one transaction. Throws (and writes nothing) when the database fails. */
export async function writeReadings(
  db: Db,
  readings: readonly RoomReading[],
): Promise<WriteResult> {
  const latest = latestPerRoom(readings);
  const rows = latest.map(snapshotRow);
  const live = livePeriodRows(latest);
  const peaks = roomPeakRows(latest, rows);
  const result: WriteResult = { snapshots: 0, unchanged: 0, entries: 0, livePeriods: live.length };
  if (rows.length === 0) return result;

  await db.transaction(async (tx) => {
    const written = new Set<string>();
    {
      // A row exists for (room, period_start) only when a reading was written but never committed
      // to the store; the next reading of the room covers the same period and more, so it replaces
      // the shorter row. The same reading again (same period_end) changes nothing.
      const returned = await tx
        .insert(snapshots)
        .select(
          // The same reading again (same room and period_end) is skipped here, so that the
          // upsert below never meets the primary key.
          recordset(
            snapshots,
            rows,
            sql`where not exists (select 1 from ${snapshots} s where s.room = r.room and s.period_end = r.period_end)`,
          ),
        )
        .onConflictDoUpdate({
          target: [snapshots.room, snapshots.periodStart],
          // The arbiter is the partial unique index: a period of zero length never replaces or is
          // replaced (the next period of its room starts at the same instant, legitimately).
          targetWhere: sql`period_end > period_start`,
          set: {
            periodEnd: excluded(snapshots.periodEnd),
            sessions: excluded(snapshots.sessions),
            viewers: excluded(snapshots.viewers),
            visible: excluded(snapshots.visible),
            peakSessions: excluded(snapshots.peakSessions),
            peakSessionsAt: excluded(snapshots.peakSessionsAt),
            peakViewers: excluded(snapshots.peakViewers),
            peakViewersAt: excluded(snapshots.peakViewersAt),
            joins: excluded(snapshots.joins),
          },
          setWhere: sql`excluded.period_end > ${snapshots.periodEnd}`,
        })
        .returning({
          room: snapshots.room,
          periodStart: snapshots.periodStart,
          periodEnd: snapshots.periodEnd,
          replaced: sql<boolean>`(xmax <> 0)`,
        });
      for (const row of returned) {
        written.add(row.room);
        if (row.replaced) {
          // The replaced row's entries are the ones of that room between its start and the new end.
          await tx
            .delete(snapshotEntries)
            .where(
              and(
                eq(snapshotEntries.room, row.room),
                gt(snapshotEntries.periodEnd, row.periodStart),
                lt(snapshotEntries.periodEnd, row.periodEnd),
              ),
            );
        }
      }
    }
    result.snapshots = written.size;
    result.unchanged = rows.length - written.size;

    const entries = latest.filter((r) => written.has(r.room)).flatMap(entryRows);
    if (entries.length > 0) {
      await tx
        .insert(snapshotEntries)
        .select(recordset(snapshotEntries, entries))
        .onConflictDoNothing();
    }
    result.entries = entries.length;

    if (live.length > 0) {
      await tx
        .insert(livePeriods)
        .select(recordset(livePeriods, live))
        .onConflictDoUpdate({
          target: [livePeriods.room, livePeriods.startedAt],
          set: {
            // Once closed, a live period stays closed (a late retry of an older reading cannot reopen it).
            endedAt: sql`coalesce(${livePeriods.endedAt}, excluded.ended_at)`,
            ...greatestWithFirstTime(
              livePeriods.peakSessions,
              livePeriods.peakSessionsAt,
              'peakSessions',
            ),
            ...greatestWithFirstTime(
              livePeriods.peakViewers,
              livePeriods.peakViewersAt,
              'peakViewers',
            ),
            joins: sql`greatest(${livePeriods.joins}, excluded.joins)`,
            uniqueViewersEstimate: sql`greatest(${livePeriods.uniqueViewersEstimate}, excluded.unique_viewers_estimate)`,
          },
        });
    }

    if (peaks.length > 0) {
      await tx
        .insert(roomPeaks)
        .select(
          // Most snapshots set no new all-time peak: leave those rooms out before the upsert.
          recordset(
            roomPeaks,
            peaks,
            sql`where not exists (select 1 from ${roomPeaks} p where p.room = r.room
              and p.peak_sessions >= r.peak_sessions and p.peak_viewers >= r.peak_viewers
              and (p.peak_sessions > r.peak_sessions or p.peak_sessions_at <= r.peak_sessions_at)
              and (p.peak_viewers > r.peak_viewers or p.peak_viewers_at <= r.peak_viewers_at))`,
          ),
        )
        .onConflictDoUpdate({
          target: roomPeaks.room,
          set: {
            ...greatestWithFirstTime(
              roomPeaks.peakSessions,
              roomPeaks.peakSessionsAt,
              'peakSessions',
            ),
            ...greatestWithFirstTime(roomPeaks.peakViewers, roomPeaks.peakViewersAt, 'peakViewers'),
            updatedAt: sql`now()`,
          },
          setWhere: sql`excluded.peak_sessions > ${roomPeaks.peakSessions} OR excluded.peak_viewers > ${roomPeaks.peakViewers}
            OR (excluded.peak_sessions = ${roomPeaks.peakSessions} AND excluded.peak_sessions_at < ${roomPeaks.peakSessionsAt})
            OR (excluded.peak_viewers = ${roomPeaks.peakViewers} AND excluded.peak_viewers_at < ${roomPeaks.peakViewersAt})`,
        });
    }
  });
  return result;
}

const excluded = (column: PgColumn) => sql.raw(`excluded."${column.name}"`);

/**
 * SET clauses keeping the higher peak and, on a tie, the earlier time. Every expression of an
 * UPDATE sees the old row, so the time is decided before the value changes.
 */
function greatestWithFirstTime(
  value: PgColumn,
  at: PgColumn,
  key: 'peakSessions' | 'peakViewers',
): Record<string, SQL> {
  const newValue = excluded(value);
  const newAt = excluded(at);
  return {
    [key]: sql`greatest(${value}, ${newValue})`,
    [`${key}At`]: sql`case
      when ${newValue} > ${value} then ${newAt}
      when ${newValue} = ${value} then least(${at}, ${newAt})
      else ${at} end`,
  };
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

function entryRows(r: RoomReading): SnapshotEntryRow[] {
  return Object.entries(r.period.joinsByEntry)
    .filter(([, joins]) => joins > 0)
    .map(([entry, joins]) => ({ room: r.room, periodEnd: new Date(r.at), entry, joins }));
}

function livePeriodRows(readings: readonly RoomReading[]): LivePeriodRow[] {
  const byKey = new Map<string, LivePeriodRow>();
  for (const r of readings) {
    for (const p of r.live ? [...r.closed, r.live] : r.closed) {
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
    for (const p of r.live ? [...r.closed, r.live] : r.closed) {
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

const recordTypes: Record<string, string> = {
  PgText: 'text',
  PgInteger: 'integer',
  PgTimestamp: 'timestamptz',
};

/**
 * Rows as `SELECT … FROM json_to_recordset($1::json)`: one parameter whatever the number of rows,
 * so thousands of rows make one short statement that is cheap to build (Drizzle's VALUES lists
 * cost about 0.2 ms of CPU per row) and stays far from PostgreSQL's 65 535-parameter limit.
 * Columns come in table order, as Drizzle's INSERT … SELECT expects; a column with a default
 * that the rows leave out gets the default (now()).
 */
function recordset<T extends Record<string, unknown>>(
  table: PgTable,
  rows: readonly T[],
  where: SQL = sql``,
): SQL {
  const columns = Object.entries(getTableColumns(table)).filter(
    ([key, column]) => !(column.hasDefault && rows.every((row) => row[key] === undefined)),
  );
  const records = rows.map((row) => {
    const record: Record<string, unknown> = {};
    for (const [key, column] of columns) record[column.name] = row[key] ?? null;
    return record;
  });
  const definitions = columns.map(([, column]) => {
    const type = recordTypes[column.columnType];
    if (!type) throw new Error(`no record type for ${column.name} (${column.columnType})`);
    return sql`${sql.identifier(column.name)} ${sql.raw(type)}`;
  });
  const select = Object.values(getTableColumns(table)).map((column) =>
    columns.some(([, c]) => c === column) ? sql`r.${sql.identifier(column.name)}` : sql`now()`,
  );
  return sql`select ${sql.join(select, sql`, `)} from json_to_recordset(${JSON.stringify(records)}::json) as r(${sql.join(definitions, sql`, `)}) ${where}`;
}
