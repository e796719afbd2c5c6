// The archive's writes, one function per table, each one statement (or two) inside the
// snapshot's transaction. Every write is safe to repeat: the same readings again change nothing.
import { and, eq, gt, lt, sql } from 'drizzle-orm';
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
import { excluded, greatestWithFirstTime, recordset } from './sql.js';

/** The transaction handle Drizzle passes to db.transaction's callback. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Inserts snapshot rows; returns the rooms whose row was written. A row exists for
 * (room, period_start) only when a reading was written but never committed to the store; the next
 * reading of the room covers the same period and more, so it replaces the shorter row (and its
 * entries). The same reading again (same period_end) is skipped.
 */
export async function upsertSnapshots(tx: Tx, rows: readonly SnapshotRow[]): Promise<Set<string>> {
  const returned = await tx
    .insert(snapshots)
    .select(
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
    // Only what decides the entries: times would be parsed into Dates for every row, and the
    // replaced rows' times are the readings' own (same room and start, the new end).
    .returning({ room: snapshots.room, replaced: sql<boolean>`(xmax <> 0)` });
  const replaced = new Set(returned.filter((r) => r.replaced).map((r) => r.room));
  for (const row of rows.filter((r) => replaced.has(r.room))) {
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
  return new Set(returned.map((r) => r.room));
}

export async function insertEntries(tx: Tx, rows: readonly SnapshotEntryRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.insert(snapshotEntries).select(recordset(snapshotEntries, rows)).onConflictDoNothing();
}

export async function upsertLivePeriods(tx: Tx, rows: readonly LivePeriodRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .insert(livePeriods)
    .select(recordset(livePeriods, rows))
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
        ...greatestWithFirstTime(livePeriods.peakViewers, livePeriods.peakViewersAt, 'peakViewers'),
        joins: sql`greatest(${livePeriods.joins}, excluded.joins)`,
        uniqueViewersEstimate: sql`greatest(${livePeriods.uniqueViewersEstimate}, excluded.unique_viewers_estimate)`,
      },
    });
}

export async function upsertRoomPeaks(tx: Tx, rows: readonly RoomPeakRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .insert(roomPeaks)
    .select(
      // Most snapshots set no new all-time peak: leave those rooms out before the upsert.
      recordset(
        roomPeaks,
        rows,
        sql`where not exists (select 1 from ${roomPeaks} p where p.room = r.room
          and p.peak_sessions >= r.peak_sessions and p.peak_viewers >= r.peak_viewers
          and (p.peak_sessions > r.peak_sessions or p.peak_sessions_at <= r.peak_sessions_at)
          and (p.peak_viewers > r.peak_viewers or p.peak_viewers_at <= r.peak_viewers_at))`,
      ),
    )
    .onConflictDoUpdate({
      target: roomPeaks.room,
      set: {
        ...greatestWithFirstTime(roomPeaks.peakSessions, roomPeaks.peakSessionsAt, 'peakSessions'),
        ...greatestWithFirstTime(roomPeaks.peakViewers, roomPeaks.peakViewersAt, 'peakViewers'),
        updatedAt: sql`now()`,
      },
      setWhere: sql`excluded.peak_sessions > ${roomPeaks.peakSessions} OR excluded.peak_viewers > ${roomPeaks.peakViewers}
        OR (excluded.peak_sessions = ${roomPeaks.peakSessions} AND excluded.peak_sessions_at < ${roomPeaks.peakSessionsAt})
        OR (excluded.peak_viewers = ${roomPeaks.peakViewers} AND excluded.peak_viewers_at < ${roomPeaks.peakViewersAt})`,
    });
}
