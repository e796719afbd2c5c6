// The webhook outbox: events written in the same transaction as the snapshot that saw them, and
// their delivery state; and each room's side of each configured threshold (for hysteresis).
// Every time is timestamptz in UTC.
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

const utc = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

export const webhookEvents = pgTable(
  'webhook_events',
  {
    /** Stable event id, sent as webhook-id: the same event always has the same id. */
    id: text('id').primaryKey(),
    /** Insertion order: events of a room are delivered in this order. */
    seq: bigserial('seq', { mode: 'number' }).notNull().unique('webhook_events_seq_key'),
    /** Room id the event is about. */
    room: text('room').notNull(),
    /** room.live, room.empty, room.peak, room.threshold or room.concentrated. */
    type: text('type').notNull(),
    /** The JSON body sent to the receiver ({type, timestamp, data}). */
    payload: jsonb('payload').notNull(),
    /** When what the event reports happened (store time, UTC). */
    occurredAt: utc('occurred_at').notNull(),
    /** When the snapshot wrote the event. */
    createdAt: utc('created_at').notNull().defaultNow(),
    /** pending (to deliver or retry), delivered (a 2xx answer) or dead (gave up after max attempts). */
    status: text('status').notNull().default('pending'),
    /** Delivery attempts started so far. */
    attempts: integer('attempts').notNull().default(0),
    /** Earliest time of the next attempt (pending events). */
    nextAttemptAt: utc('next_attempt_at').notNull().defaultNow(),
    /** While set and in the future, one instance is delivering the event and no other may. */
    leasedUntil: utc('leased_until'),
    /** HTTP status of the latest attempt; null when there was no answer. */
    lastStatus: integer('last_status'),
    /** Why the latest attempt failed (status, timeout, connection error). */
    lastError: text('last_error'),
    /** When the receiver answered 2xx. */
    deliveredAt: utc('delivered_at'),
  },
  (t) => [
    // The delivery worker's question: the oldest pending events that are due, room by room.
    index('webhook_events_pending_idx').on(t.room, t.seq).where(sql`status = 'pending'`),
    // The admin's question: the latest deliveries, by status.
    index('webhook_events_status_seq_idx').on(t.status, t.seq),
    check('webhook_events_status_check', sql`${t.status} IN ('pending', 'delivered', 'dead')`),
  ],
);

export const roomThresholds = pgTable(
  'room_thresholds',
  {
    /** Room id. */
    room: text('room').notNull(),
    /** A configured number of sessions (WEBHOOK_THRESHOLDS). */
    threshold: integer('threshold').notNull(),
    /** Whether the room is above the threshold (it reached it and has not fallen below the hysteresis line since). */
    above: boolean('above').notNull(),
    /** When the room last crossed the threshold (store time, UTC). */
    changedAt: utc('changed_at').notNull(),
  },
  (t) => [primaryKey({ name: 'room_thresholds_pkey', columns: [t.room, t.threshold] })],
);

export type WebhookEventRow = typeof webhookEvents.$inferInsert;
export type WebhookEvent = typeof webhookEvents.$inferSelect;
export type RoomThresholdRow = typeof roomThresholds.$inferInsert;
