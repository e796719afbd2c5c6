-- Comments on the webhook tables and their columns (drizzle-kit cannot emit COMMENT ON, so they
-- live in this custom migration, as in 0002_comments).
COMMENT ON TABLE webhook_events IS 'The webhook outbox: events written in the same transaction as the snapshot that saw them, and their delivery state. Delivered in seq order per room.';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.id IS 'Stable event id, sent as webhook-id: the same event always has the same id.';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.seq IS 'Insertion order: events of a room are delivered in this order.';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.room IS 'Room id the event is about.';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.type IS 'room.live, room.empty, room.peak or room.threshold.';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.payload IS 'The JSON body sent to the receiver: {type, timestamp, data}.';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.occurred_at IS 'When what the event reports happened (store time, UTC).';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.created_at IS 'When the snapshot wrote the event (UTC).';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.status IS 'pending (to deliver or retry), delivered (the receiver answered 2xx) or dead (given up after WEBHOOK_MAX_ATTEMPTS).';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.attempts IS 'Delivery attempts started so far.';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.next_attempt_at IS 'Earliest time of the next attempt of a pending event (UTC).';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.leased_until IS 'While in the future, one instance is delivering the event and no other may.';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.last_status IS 'HTTP status of the latest attempt; null when the receiver did not answer.';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.last_error IS 'Why the latest attempt failed (status, timeout, connection error).';
--> statement-breakpoint
COMMENT ON COLUMN webhook_events.delivered_at IS 'When the receiver answered 2xx (UTC).';
--> statement-breakpoint
COMMENT ON TABLE room_thresholds IS 'For each room and configured threshold (WEBHOOK_THRESHOLDS), which side of it the room is on, so that a room hovering at the line sends no storm of room.threshold events.';
--> statement-breakpoint
COMMENT ON COLUMN room_thresholds.room IS 'Room id.';
--> statement-breakpoint
COMMENT ON COLUMN room_thresholds.threshold IS 'A configured number of sessions.';
--> statement-breakpoint
COMMENT ON COLUMN room_thresholds.above IS 'Whether the room reached the threshold and has not fallen under the hysteresis line since.';
--> statement-breakpoint
COMMENT ON COLUMN room_thresholds.changed_at IS 'When the room last crossed the threshold (store time, UTC).';
