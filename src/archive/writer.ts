// Writes what the snapshot job reads from the presence store to PostgreSQL, in one transaction:
// snapshot rows, joins by entry, activity by kind, live periods, all-time peaks and, with
// webhooks on, the events they make. Safe to repeat: a retry of the same readings changes nothing.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { RoomReading } from '../presence/store.js';
import type { EventRules } from './events.js';
import { readPreviousState, writeEvents } from './outbox.js';
import { activityRows, archiveRows, entryRows } from './rows.js';
import {
  insertActivity,
  insertEntries,
  type Tx,
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
  /** Activity rows written (one per room and kind with events in the period). */
  activity: number;
  livePeriods: number;
  /** Webhook events the snapshot made (0 with webhooks off). */
  events: number;
}

export interface WriteOptions {
  /** Write webhook events to the outbox by these rules; absent: no events. */
  events?: EventRules | undefined;
}

const none = (): WriteResult => ({
  snapshots: 0,
  unchanged: 0,
  entries: 0,
  activity: 0,
  livePeriods: 0,
  events: 0,
});

/** Writes the readings in one transaction. Throws (and writes nothing) when the database fails. */
export async function writeReadings(
  db: Db,
  readings: readonly RoomReading[],
  options: WriteOptions = {},
): Promise<WriteResult> {
  if (readings.length === 0) return none();
  const { result } = await writeReadingsFrom(db, [readings][Symbol.iterator](), options);
  return result;
}

/** What writeReadingsFrom wrote, and how long each side was busy (they overlap). */
export interface StreamedWrite {
  result: WriteResult;
  /** Every reading the chunks held, for the store's commit. */
  readings: RoomReading[];
  /** Time spent waiting for the next chunk of readings, ms. */
  readMs: number;
  /** Time spent writing chunks to the database, ms. */
  writeMs: number;
}

/**
 * Writes chunks of readings in one transaction, taking the next chunk from `chunks` while the
 * database writes the current one, so that reading the store and writing the database overlap.
 * A chunk's rooms are never in another chunk (one reading per room and run). Throws (and writes
 * nothing) when the database fails; the readings taken so far then stay in the store.
 */
export async function writeReadingsFrom(
  db: Db,
  chunks: Iterator<readonly RoomReading[]> | AsyncIterator<readonly RoomReading[]>,
  options: WriteOptions = {},
): Promise<StreamedWrite> {
  const streamed: StreamedWrite = { result: none(), readings: [], readMs: 0, writeMs: 0 };
  const take = async () => {
    const t0 = performance.now();
    const next = await chunks.next();
    streamed.readMs += performance.now() - t0;
    return next;
  };
  let next = take();
  // A failed write leaves the next read in flight: its failure is not the one to report.
  next.catch(() => {});
  await db.transaction(async (tx) => {
    // Bounded by the snapshot job (under its lock's expiry), not by the pool's read timeout.
    await tx.execute(sql`set local statement_timeout = 0`);
    // One archive writer at a time per schema: the rollups add each row's difference to what the
    // table held, which only holds when no other transaction writes the same rows meanwhile (two
    // instances after a lock expired, a retry overtaking a slow run).
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtext('headcount:archive:' || current_schema()))`,
    );
    for (;;) {
      const chunk = await next;
      if (chunk.done) break;
      next = take();
      next.catch(() => {});
      const t0 = performance.now();
      add(streamed.result, await writeChunk(tx, chunk.value, options));
      streamed.writeMs += performance.now() - t0;
      for (const r of chunk.value) streamed.readings.push(r);
    }
  });
  return streamed;
}

function add(total: WriteResult, part: WriteResult): void {
  total.snapshots += part.snapshots;
  total.unchanged += part.unchanged;
  total.entries += part.entries;
  total.activity += part.activity;
  total.livePeriods += part.livePeriods;
  total.events += part.events;
}

async function writeChunk(
  tx: Tx,
  readings: readonly RoomReading[],
  options: WriteOptions,
): Promise<WriteResult> {
  const rows = archiveRows(readings);
  if (rows.snapshots.length === 0) return none();
  // Events compare with what the archive held before this snapshot: read that first.
  const previous = options.events && (await readPreviousState(tx, rows, options.events));
  const { written } = await upsertSnapshots(tx, rows.snapshots);
  // A reading whose row was already there (a retry) adds no entries and no activity either.
  const fresh = rows.readings
    .map((r, i) => ({ reading: r, start: rows.snapshots[i]!.periodStart }))
    .filter(({ reading }) => written.has(reading.room));
  const entries = fresh.flatMap(({ reading, start }) =>
    entryRows(reading).map((e) => ({ ...e, periodStart: start })),
  );
  const activity = fresh.flatMap(({ reading, start }) => activityRows(reading, start));
  await insertEntries(tx, entries);
  await insertActivity(tx, activity);
  await upsertLivePeriods(tx, rows.livePeriods);
  await upsertRoomPeaks(tx, rows.roomPeaks);
  const events =
    options.events && previous ? await writeEvents(tx, rows, previous, options.events) : [];
  return {
    snapshots: written.size,
    unchanged: rows.snapshots.length - written.size,
    entries: entries.length,
    activity: activity.length,
    livePeriods: rows.livePeriods.length,
    events: events.length,
  };
}
