// Hourly and daily rollups of snapshots, for analysts. The views are created by the custom
// migration drizzle/0001_rollup_views.sql: drizzle-kit would name them "public"."…", which would
// tie the archive to the public schema (and break one schema per test), so here they are
// declared as existing and only typed.
//
// A snapshot belongs to the UTC hour (day) in which its period started, so the row covering
// 10:59–11:00 counts for 10:00, and its peak time, almost always inside that period, falls
// inside the bucket that reports it.
import { bigint, doublePrecision, integer, pgView, text, timestamp } from 'drizzle-orm/pg-core';

const utc = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

const rollupColumns = {
  /** Room id. */
  room: text('room').notNull(),
  /** Number of snapshot rows rolled up. */
  snapshots: integer('snapshots').notNull(),
  /** Average of the sessions read at the end of each period. */
  sessionsAvg: doublePrecision('sessions_avg').notNull(),
  /** Sessions read at the end of the bucket's last period. */
  sessionsLast: integer('sessions_last').notNull(),
  /** Average of the viewers read at the end of each period. */
  viewersAvg: doublePrecision('viewers_avg').notNull(),
  /** Viewers read at the end of the bucket's last period. */
  viewersLast: integer('viewers_last').notNull(),
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
};

export const snapshotsHourly = pgView('snapshots_hourly', {
  ...rollupColumns,
  /** Start of the UTC hour. */
  hour: utc('hour').notNull(),
}).existing();

export const snapshotsDaily = pgView('snapshots_daily', {
  ...rollupColumns,
  /** Start of the UTC day. */
  day: utc('day').notNull(),
}).existing();
