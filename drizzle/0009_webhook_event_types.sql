-- The column's comment names every event type, room.concentrated too (payloads in docs/api.md).
COMMENT ON COLUMN webhook_events.type IS 'room.live, room.empty, room.peak, room.threshold or room.concentrated.';
