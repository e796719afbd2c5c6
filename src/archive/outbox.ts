// The outbox side of the snapshot transaction: what the archive held before (read first), and the
// events and threshold states written with the snapshot, so that an event exists if and only if
// its snapshot does.
import { and, gte, inArray, sql } from 'drizzle-orm';
import { livePeriods, roomPeaks, roomThresholds, webhookEvents } from '../db/schema/index.js';
import {
  type EventRules,
  livePeriodKey,
  type PreviousState,
  type RoomEvent,
  snapshotEvents,
  thresholdKey,
} from './events.js';
import type { ArchiveRows } from './rows.js';
import { inTexts } from './sql.js';
import type { Tx } from './statements.js';

/** Reads the previous state of the snapshot's rooms; call before the snapshot's own writes. */
export async function readPreviousState(
  tx: Tx,
  rows: ArchiveRows,
  rules: EventRules,
): Promise<PreviousState> {
  const rooms = rows.snapshots.map((r) => r.room);
  const earliest = Math.min(...rows.livePeriods.map((p) => p.startedAt.getTime()));
  const [periods, peaks, above] = await Promise.all([
    Number.isFinite(earliest)
      ? tx
          .select({
            room: livePeriods.room,
            startedAt: livePeriods.startedAt,
            endedAt: livePeriods.endedAt,
          })
          .from(livePeriods)
          .where(
            and(inTexts(livePeriods.room, rooms), gte(livePeriods.startedAt, new Date(earliest))),
          )
      : [],
    tx
      .select({ room: roomPeaks.room, peakSessions: roomPeaks.peakSessions })
      .from(roomPeaks)
      .where(inTexts(roomPeaks.room, rooms)),
    rules.thresholds.length === 0
      ? []
      : tx
          .select()
          .from(roomThresholds)
          .where(
            and(
              inTexts(roomThresholds.room, rooms),
              inArray(roomThresholds.threshold, [...rules.thresholds]),
            ),
          ),
  ]);
  return {
    livePeriods: new Map(
      periods.map((p) => [livePeriodKey(p.room, p.startedAt), { ended: p.endedAt !== null }]),
    ),
    peakSessions: new Map(peaks.map((p) => [p.room, p.peakSessions])),
    above: new Map(above.map((t) => [thresholdKey(t.room, t.threshold), t.above])),
  };
}

/**
 * Writes the snapshot's events to the outbox and returns those it added: an event already there
 * (same id) stays as it is, as room.concentrated does for every snapshot after the first of its
 * live period.
 */
export async function writeEvents(
  tx: Tx,
  rows: ArchiveRows,
  previous: PreviousState,
  rules: EventRules,
): Promise<RoomEvent[]> {
  const { events, thresholds } = snapshotEvents(rows, previous, rules);
  let added: RoomEvent[] = [];
  // Few rows (events are changes), so plain VALUES lists; inserted in order, so seq follows it.
  if (events.length > 0) {
    const inserted = await tx
      .insert(webhookEvents)
      .values(
        events.map((e) => ({
          id: e.id,
          room: e.room,
          type: e.type,
          payload: e.payload,
          occurredAt: new Date(e.occurredAt),
        })),
      )
      .onConflictDoNothing()
      .returning({ id: webhookEvents.id });
    const ids = new Set(inserted.map((e) => e.id));
    added = events.filter((e) => ids.has(e.id));
  }
  if (thresholds.length > 0) {
    await tx
      .insert(roomThresholds)
      .values(thresholds)
      .onConflictDoUpdate({
        target: [roomThresholds.room, roomThresholds.threshold],
        set: { above: sql`excluded.above`, changedAt: sql`excluded.changed_at` },
      });
  }
  return added;
}
