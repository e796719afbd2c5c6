// One row per room per snapshot period, the joins of that period split by entry, and the
// activity counted in it split by kind. Every time is timestamptz in UTC; every count is a whole
// number of sessions, viewers or events.
import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const utc = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

export const snapshots = pgTable(
  'snapshots',
  {
    /** Room id, as sent by pages (case-sensitive). */
    room: text('room').notNull(),
    /** Start of the period this row covers (store time, UTC): the end of the room's previous row, or its first heartbeat. */
    periodStart: utc('period_start').notNull(),
    /** End of the period (store time, UTC): when the counts below were read. Longer than one cron period after a gap. */
    periodEnd: utc('period_end').notNull(),
    /** Online sessions (open tabs) at period_end. */
    sessions: integer('sessions').notNull(),
    /** Distinct viewers among the online sessions at period_end. */
    viewers: integer('viewers').notNull(),
    /** Online sessions whose latest heartbeat said the page was in the foreground, at period_end. */
    visible: integer('visible').notNull(),
    /** Highest number of online sessions in the period (at least `sessions`). */
    peakSessions: integer('peak_sessions').notNull(),
    /** When peak_sessions was first reached in the period; null when the peak is 0. */
    peakSessionsAt: utc('peak_sessions_at'),
    /** Highest number of distinct viewers in the period (at least `viewers`). */
    peakViewers: integer('peak_viewers').notNull(),
    /** When peak_viewers was first reached in the period; null when the peak is 0. */
    peakViewersAt: utc('peak_viewers_at'),
    /** Sessions that became online in the period (first heartbeat, or back after expiring). */
    joins: integer('joins').notNull(),
  },
  (t) => [
    primaryKey({ name: 'snapshots_pkey', columns: [t.room, t.periodEnd] }),
    // A period starts where the room's previous one ended, so no two rows of a room share a start
    // (a period of zero length, read in the millisecond its room began, aside): a longer reading
    // of the same period replaces the shorter one instead of counting it twice.
    uniqueIndex('snapshots_room_period_start_key')
      .on(t.room, t.periodStart)
      .where(sql`period_end > period_start`),
    // One room over a time range (history, rollups); zero-length periods included.
    index('snapshots_room_period_start_idx').on(t.room, t.periodStart),
    // Every room over a time range (rankings): rows arrive in time order, so a BRIN index is
    // tiny and cheap to keep up to date.
    index('snapshots_period_start_brin').using('brin', t.periodStart),
    check('snapshots_period_check', sql`${t.periodEnd} >= ${t.periodStart}`),
    check(
      'snapshots_counts_check',
      sql`${t.sessions} >= 0 AND ${t.viewers} >= 0 AND ${t.visible} >= 0 AND ${t.joins} >= 0 AND ${t.peakSessions} >= ${t.sessions} AND ${t.peakViewers} >= ${t.viewers}`,
    ),
  ],
);

export const snapshotEntries = pgTable(
  'snapshot_entries',
  // No foreign key to snapshots: drizzle-kit writes references as "public"."snapshots", which would
  // tie the archive to the public schema; the writer replaces a row's entries together with the row.
  {
    /** Room id of the snapshot row. */
    room: text('room').notNull(),
    /** period_end of the snapshot row this belongs to. */
    periodEnd: utc('period_end').notNull(),
    /** Where the joining viewers came from, as the page sent it (at most 64 characters). */
    entry: text('entry').notNull(),
    /** Sessions that joined in the period with this entry. */
    joins: integer('joins').notNull(),
  },
  (t) => [
    primaryKey({ name: 'snapshot_entries_pkey', columns: [t.room, t.periodEnd, t.entry] }),
    // Retention deletes the oldest rows of every room; rows arrive in time order.
    index('snapshot_entries_period_end_brin').using('brin', t.periodEnd),
    check('snapshot_entries_joins_check', sql`${t.joins} > 0`),
  ],
);

export const snapshotActivity = pgTable(
  'snapshot_activity',
  // Keyed like snapshot_entries, by the snapshot row's (room, period_end); period_start is here
  // too, so a row says its own period (per-minute rates need no join) and its rollup bucket.
  {
    /** Room id of the snapshot row. */
    room: text('room').notNull(),
    /** period_start of the snapshot row this belongs to. */
    periodStart: utc('period_start').notNull(),
    /** period_end of the snapshot row this belongs to. */
    periodEnd: utc('period_end').notNull(),
    /** What happened, as the sender named it (`^[a-z][a-z0-9_-]{0,31}$`): comment, reaction, purchase… */
    kind: text('kind').notNull(),
    /** Events of this kind counted in the period. */
    count: integer('count').notNull(),
  },
  (t) => [
    primaryKey({ name: 'snapshot_activity_pkey', columns: [t.room, t.periodEnd, t.kind] }),
    // One room over a time range, bucketed by period start as the snapshot rows are (history).
    index('snapshot_activity_room_period_start_idx').on(t.room, t.periodStart),
    // Retention deletes the oldest rows of every room, as it does the snapshot rows; rows arrive
    // in time order.
    index('snapshot_activity_period_start_brin').using('brin', t.periodStart),
    check('snapshot_activity_period_check', sql`${t.periodEnd} >= ${t.periodStart}`),
    check('snapshot_activity_count_check', sql`${t.count} > 0`),
  ],
);

export type SnapshotRow = typeof snapshots.$inferInsert;
export type SnapshotEntryRow = typeof snapshotEntries.$inferInsert;
export type SnapshotActivityRow = typeof snapshotActivity.$inferInsert;
