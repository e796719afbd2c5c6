// Hourly and daily rollups of snapshots, for analysts and the history routes: tables written by
// the snapshot job in the same transaction as the minute rows (upserted as the minutes arrive),
// so they stay current to the last snapshot and outlive the minute rows under retention.
//
// A snapshot belongs to the UTC hour (day) in which its period started, so the row covering
// 10:59–11:00 counts for 10:00, and its peak time, almost always inside that period, falls
// inside the bucket that reports it. Averages are kept as a sum and a count of periods, so that
// they stay exact however the rows arrive; sessions_avg and viewers_avg are computed from them.
import { type SQL, sql } from 'drizzle-orm';
import {
  bigint,
  check,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

const utc = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

const average = (sum: string): SQL => sql.raw(`("${sum}"::double precision / "snapshots")`);

const rollupColumns = () => ({
  /** Number of snapshot rows (periods) rolled up. */
  snapshots: integer('snapshots').notNull(),
  /** Sum of the sessions read at the end of each period (sessions_avg = sessions_sum / snapshots). */
  sessionsSum: bigint('sessions_sum', { mode: 'number' }).notNull(),
  /** Average of the sessions read at the end of each period. */
  sessionsAvg: doublePrecision('sessions_avg').notNull().generatedAlwaysAs(average('sessions_sum')),
  /** Sessions read at the end of the bucket's last period. */
  sessionsLast: integer('sessions_last').notNull(),
  /** Sum of the viewers read at the end of each period. */
  viewersSum: bigint('viewers_sum', { mode: 'number' }).notNull(),
  /** Average of the viewers read at the end of each period. */
  viewersAvg: doublePrecision('viewers_avg').notNull().generatedAlwaysAs(average('viewers_sum')),
  /** Viewers read at the end of the bucket's last period. */
  viewersLast: integer('viewers_last').notNull(),
  /** End of the bucket's last period: when sessions_last and viewers_last were read. */
  lastPeriodEnd: utc('last_period_end').notNull(),
  /** Highest peak_sessions of the bucket's periods. */
  peakSessions: integer('peak_sessions').notNull(),
  /** When that peak was first reached; null when it is 0. */
  peakSessionsAt: utc('peak_sessions_at'),
  /** Highest peak_viewers of the bucket's periods. */
  peakViewers: integer('peak_viewers').notNull(),
  /** When that peak was first reached; null when it is 0. */
  peakViewersAt: utc('peak_viewers_at'),
  /** Sum of joins of the bucket's periods. */
  joins: bigint('joins', { mode: 'number' }).notNull(),
});

export const snapshotsHourly = pgTable(
  'snapshots_hourly',
  {
    /** Room id. */
    room: text('room').notNull(),
    /** Start of the UTC hour. */
    hour: utc('hour').notNull(),
    ...rollupColumns(),
  },
  (t) => [
    primaryKey({ name: 'snapshots_hourly_pkey', columns: [t.room, t.hour] }),
    // Retention deletes the oldest hours of every room.
    index('snapshots_hourly_hour_idx').on(t.hour),
    check('snapshots_hourly_snapshots_check', sql`${t.snapshots} > 0`),
  ],
);

export const snapshotsDaily = pgTable(
  'snapshots_daily',
  {
    /** Room id. */
    room: text('room').notNull(),
    /** Start of the UTC day. */
    day: utc('day').notNull(),
    ...rollupColumns(),
  },
  (t) => [
    primaryKey({ name: 'snapshots_daily_pkey', columns: [t.room, t.day] }),
    index('snapshots_daily_day_idx').on(t.day),
    check('snapshots_daily_snapshots_check', sql`${t.snapshots} > 0`),
  ],
);

/** Joins by entry summed per room, entry and UTC hour (the hour in which the period started). */
export const snapshotEntriesHourly = pgTable(
  'snapshot_entries_hourly',
  {
    /** Room id. */
    room: text('room').notNull(),
    /** Start of the UTC hour. */
    hour: utc('hour').notNull(),
    /** Entry as the pages sent it. */
    entry: text('entry').notNull(),
    /** Sessions that joined with this entry in periods that started in the hour. */
    joins: bigint('joins', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'snapshot_entries_hourly_pkey', columns: [t.room, t.hour, t.entry] }),
    index('snapshot_entries_hourly_hour_idx').on(t.hour),
  ],
);

/** Joins by entry summed per room, entry and UTC day (the day in which the period started). */
export const snapshotEntriesDaily = pgTable(
  'snapshot_entries_daily',
  {
    /** Room id. */
    room: text('room').notNull(),
    /** Start of the UTC day. */
    day: utc('day').notNull(),
    /** Entry as the pages sent it. */
    entry: text('entry').notNull(),
    /** Sessions that joined with this entry in periods that started in the day. */
    joins: bigint('joins', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'snapshot_entries_daily_pkey', columns: [t.room, t.day, t.entry] }),
    index('snapshot_entries_daily_day_idx').on(t.day),
  ],
);

/** Activity summed per room, kind and UTC hour (the hour in which the period started). */
export const snapshotActivityHourly = pgTable(
  'snapshot_activity_hourly',
  {
    /** Room id. */
    room: text('room').notNull(),
    /** Start of the UTC hour. */
    hour: utc('hour').notNull(),
    /** Kind of activity, as the sender named it. */
    kind: text('kind').notNull(),
    /** Events of this kind counted in periods that started in the hour. */
    count: bigint('count', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'snapshot_activity_hourly_pkey', columns: [t.room, t.hour, t.kind] }),
    index('snapshot_activity_hourly_hour_idx').on(t.hour),
  ],
);

/** Activity summed per room, kind and UTC day (the day in which the period started). */
export const snapshotActivityDaily = pgTable(
  'snapshot_activity_daily',
  {
    /** Room id. */
    room: text('room').notNull(),
    /** Start of the UTC day. */
    day: utc('day').notNull(),
    /** Kind of activity, as the sender named it. */
    kind: text('kind').notNull(),
    /** Events of this kind counted in periods that started in the day. */
    count: bigint('count', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'snapshot_activity_daily_pkey', columns: [t.room, t.day, t.kind] }),
    index('snapshot_activity_daily_day_idx').on(t.day),
  ],
);

export type SnapshotHourlyRow = typeof snapshotsHourly.$inferSelect;
