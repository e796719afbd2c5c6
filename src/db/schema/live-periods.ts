// Live periods (stretches of time in which a room is never empty) and each room's all-time peaks.
// Every time is timestamptz in UTC.
import { sql } from 'drizzle-orm';
import { check, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

const utc = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

export const livePeriods = pgTable(
  'live_periods',
  {
    /** Room id. */
    room: text('room').notNull(),
    /** When the empty room got its first session (store time, UTC). */
    startedAt: utc('started_at').notNull(),
    /** When the room emptied (the deadline of its last session); null while the period is open. */
    endedAt: utc('ended_at'),
    /** Highest number of online sessions in the live period so far. */
    peakSessions: integer('peak_sessions').notNull(),
    /** When peak_sessions was first reached. */
    peakSessionsAt: utc('peak_sessions_at').notNull(),
    /** Highest number of distinct viewers in the live period so far. */
    peakViewers: integer('peak_viewers').notNull(),
    /** When peak_viewers was first reached. */
    peakViewersAt: utc('peak_viewers_at').notNull(),
    /** Sessions that became online during the live period. */
    joins: integer('joins').notNull(),
    /** Distinct viewers over the whole live period, estimated with a HyperLogLog (about 1 % error). */
    uniqueViewersEstimate: integer('unique_viewers_estimate').notNull(),
  },
  (t) => [
    primaryKey({ name: 'live_periods_pkey', columns: [t.room, t.startedAt] }),
    check('live_periods_end_check', sql`${t.endedAt} IS NULL OR ${t.endedAt} >= ${t.startedAt}`),
  ],
);

export const roomPeaks = pgTable('room_peaks', {
  /** Room id. */
  room: text('room').primaryKey(),
  /** Highest number of online sessions the room ever had (as archived). */
  peakSessions: integer('peak_sessions').notNull(),
  /** When peak_sessions was first reached. */
  peakSessionsAt: utc('peak_sessions_at').notNull(),
  /** Highest number of distinct viewers the room ever had (as archived). */
  peakViewers: integer('peak_viewers').notNull(),
  /** When peak_viewers was first reached. */
  peakViewersAt: utc('peak_viewers_at').notNull(),
  /** When this row last changed. */
  updatedAt: utc('updated_at').notNull().defaultNow(),
});

export type LivePeriodRow = typeof livePeriods.$inferInsert;
export type RoomPeakRow = typeof roomPeaks.$inferInsert;
