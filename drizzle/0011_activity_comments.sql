-- Comments on the activity tables and their columns, for analysts reading the schema with \d+
-- (drizzle-kit cannot emit COMMENT ON, as in 0002_comments), and room on each page of the
-- activity rollups, whose rows every snapshot of their hour (day) updates (as in 0008).
COMMENT ON TABLE snapshot_activity IS 'Activity (comments, reactions, purchases…) counted in one snapshot period, split by kind. Joins the snapshots row with the same room and period_end; kinds with no events in the period have no row. All times UTC.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_activity.room IS 'Room id of the snapshots row.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_activity.period_start IS 'period_start of the snapshots row (UTC).';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_activity.period_end IS 'period_end of the snapshots row (UTC).';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_activity.kind IS 'Kind of activity as the sender named it (a letter, then up to 31 of a-z, 0-9, _ and -), e.g. comment.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_activity.count IS 'Events of this kind counted during the period.';
--> statement-breakpoint
COMMENT ON TABLE snapshot_activity_hourly IS 'Activity summed per room, kind and UTC hour (the hour in which each period started), written by the snapshot job in the same transaction as the minute rows and kept after they are pruned.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_activity_hourly.room IS 'Room id.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_activity_hourly.hour IS 'Start of the UTC hour.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_activity_hourly.kind IS 'Kind of activity as the sender named it.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_activity_hourly.count IS 'Events of this kind counted in periods that started in the hour.';
--> statement-breakpoint
COMMENT ON TABLE snapshot_activity_daily IS 'Activity summed per room, kind and UTC day (the day in which each period started), written by the snapshot job in the same transaction as the minute rows and kept after they are pruned.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_activity_daily.room IS 'Room id.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_activity_daily.day IS 'Start of the UTC day.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_activity_daily.kind IS 'Kind of activity as the sender named it.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_activity_daily.count IS 'Events of this kind counted in periods that started in the day.';
--> statement-breakpoint
ALTER TABLE snapshot_activity_hourly SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE snapshot_activity_daily SET (fillfactor = 50);
