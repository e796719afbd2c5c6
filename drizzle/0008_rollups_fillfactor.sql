-- A rollup row is updated by every snapshot of its hour (day): room on its page for the new
-- version lets PostgreSQL update it in place (a HOT update: no new index entries), which keeps
-- the snapshot's upserts cheap and the tables free of index bloat.
ALTER TABLE snapshots_hourly SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE snapshots_daily SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE snapshot_entries_hourly SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE snapshot_entries_daily SET (fillfactor = 50);
