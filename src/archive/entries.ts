// Joins by entry (where viewers came from) over a time range, read back from the archive for the
// entries route and the dashboard: from the minute rows while they are kept, and from the hourly
// and daily entry rollups for the older part of the range.
import { and, desc, eq, gt, gte, lt, lte, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client.js';
import {
  snapshotEntries,
  snapshotEntriesDaily,
  snapshotEntriesHourly,
} from '../db/schema/index.js';
import type { Kept } from './history.js';

export interface EntryJoins {
  /** The entry as pages sent it. */
  entry: string;
  /** Sessions that joined with this entry in the range. */
  joins: number;
}

/**
 * One room's joins by entry over the snapshot periods that ended in (from, to], most joins first
 * (ties by entry, so the order is stable), at most `limit` entries. The part of the range before
 * what `kept` says is still held in minute rows is summed from the hourly rollups (and before the
 * hours kept, from the daily ones), whose buckets go by period start: exact to the hour (day).
 */
export async function readJoinsByEntry(
  db: Db,
  q: { room: string; from: Date; to: Date; limit: number },
  kept: Kept = { minutesSinceMs: null, hoursSinceMs: null },
): Promise<EntryJoins[]> {
  const fromMs = q.from.getTime();
  const toMs = q.to.getTime();
  const minutesFrom = Math.max(fromMs, kept.minutesSinceMs ?? fromMs);
  const hoursFrom = Math.max(fromMs, Math.min(kept.hoursSinceMs ?? fromMs, minutesFrom));
  const sum = (joins: AnyPgColumn) => sql`sum(${joins})::bigint`.mapWith(Number);
  const minutes = db
    .select({ entry: snapshotEntries.entry, joins: sum(snapshotEntries.joins) })
    .from(snapshotEntries)
    .where(
      and(
        eq(snapshotEntries.room, q.room),
        gt(snapshotEntries.periodEnd, new Date(minutesFrom)),
        lte(snapshotEntries.periodEnd, q.to),
      ),
    )
    .groupBy(snapshotEntries.entry);
  if (minutesFrom === fromMs) {
    return minutes.orderBy(desc(sum(snapshotEntries.joins)), snapshotEntries.entry).limit(q.limit);
  }
  const hours = (a: number, b: number) =>
    db
      .select({ entry: snapshotEntriesHourly.entry, joins: sum(snapshotEntriesHourly.joins) })
      .from(snapshotEntriesHourly)
      .where(
        and(
          eq(snapshotEntriesHourly.room, q.room),
          gte(snapshotEntriesHourly.hour, new Date(a)),
          lt(snapshotEntriesHourly.hour, new Date(Math.min(b, toMs))),
        ),
      )
      .groupBy(snapshotEntriesHourly.entry);
  const days = (a: number, b: number) =>
    db
      .select({ entry: snapshotEntriesDaily.entry, joins: sum(snapshotEntriesDaily.joins) })
      .from(snapshotEntriesDaily)
      .where(
        and(
          eq(snapshotEntriesDaily.room, q.room),
          gte(snapshotEntriesDaily.day, new Date(a)),
          lt(snapshotEntriesDaily.day, new Date(Math.min(b, toMs))),
        ),
      )
      .groupBy(snapshotEntriesDaily.entry);
  const parts = await Promise.all([
    minutes,
    minutesFrom > hoursFrom ? hours(hoursFrom, minutesFrom) : [],
    hoursFrom > fromMs ? days(fromMs, hoursFrom) : [],
  ]);
  const total = new Map<string, number>();
  for (const { entry, joins } of parts.flat()) total.set(entry, (total.get(entry) ?? 0) + joins);
  return [...total]
    .filter(([, joins]) => joins > 0)
    .map(([entry, joins]) => ({ entry, joins }))
    .sort((a, b) => b.joins - a.joins || (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0))
    .slice(0, q.limit);
}
