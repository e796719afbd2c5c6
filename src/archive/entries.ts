// Joins by entry (where viewers came from) over a time range, read back from the archive for the
// entries route and the dashboard.
import { and, desc, eq, gt, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { snapshotEntries } from '../db/schema/index.js';

export interface EntryJoins {
  /** The entry as pages sent it. */
  entry: string;
  /** Sessions that joined with this entry in the range. */
  joins: number;
}

/**
 * One room's joins by entry over the snapshot periods that ended in (from, to], most joins first
 * (ties by entry, so the order is stable), at most `limit` entries.
 */
export function readJoinsByEntry(
  db: Db,
  q: { room: string; from: Date; to: Date; limit: number },
): Promise<EntryJoins[]> {
  const joins = sql`sum(${snapshotEntries.joins})::bigint`.mapWith(Number);
  return db
    .select({ entry: snapshotEntries.entry, joins })
    .from(snapshotEntries)
    .where(
      and(
        eq(snapshotEntries.room, q.room),
        gt(snapshotEntries.periodEnd, q.from),
        lte(snapshotEntries.periodEnd, q.to),
      ),
    )
    .groupBy(snapshotEntries.entry)
    .orderBy(desc(joins), snapshotEntries.entry)
    .limit(q.limit);
}
