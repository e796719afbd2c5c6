// Writes what the snapshot job read from the presence store to PostgreSQL, in one transaction:
// snapshot rows, joins by entry, live periods, all-time peaks and, with webhooks on, the events
// they make. Safe to repeat: a retry of the same readings changes nothing.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { RoomReading } from '../presence/store.js';
import type { EventRules } from '../webhooks/events.js';
import { readPreviousState, writeEvents } from '../webhooks/outbox.js';
import { archiveRows, entryRows } from './rows.js';
import {
  insertEntries,
  upsertLivePeriods,
  upsertRoomPeaks,
  upsertSnapshots,
} from './statements.js';

export { periodPeak } from './rows.js';

export interface WriteResult {
  /** Snapshot rows written (new, or replacing a shorter reading of the same period). */
  snapshots: number;
  /** Readings whose row was already there (a retry). */
  unchanged: number;
  entries: number;
  livePeriods: number;
  /** Webhook events the snapshot made (0 with webhooks off). */
  events: number;
}

export interface WriteOptions {
  /** Write webhook events to the outbox by these rules; absent: no events. */
  events?: EventRules | undefined;
}

/** Writes the readings in one transaction. Throws (and writes nothing) when the database fails. */
export async function writeReadings(
  db: Db,
  readings: readonly RoomReading[],
  options: WriteOptions = {},
): Promise<WriteResult> {
  const rows = archiveRows(readings);
  if (rows.snapshots.length === 0) {
    return { snapshots: 0, unchanged: 0, entries: 0, livePeriods: 0, events: 0 };
  }
  return db.transaction(async (tx) => {
    // Bounded by the snapshot job (under its lock's expiry), not by the pool's read timeout.
    await tx.execute(sql`set local statement_timeout = 0`);
    // Events compare with what the archive held before this snapshot: read that first.
    const previous = options.events && (await readPreviousState(tx, rows, options.events));
    const written = await upsertSnapshots(tx, rows.snapshots);
    const entries = rows.readings.filter((r) => written.has(r.room)).flatMap(entryRows);
    await insertEntries(tx, entries);
    await upsertLivePeriods(tx, rows.livePeriods);
    await upsertRoomPeaks(tx, rows.roomPeaks);
    const events =
      options.events && previous ? await writeEvents(tx, rows, previous, options.events) : [];
    return {
      snapshots: written.size,
      unchanged: rows.snapshots.length - written.size,
      entries: entries.length,
      livePeriods: rows.livePeriods.length,
      events: events.length,
    };
  });
}
