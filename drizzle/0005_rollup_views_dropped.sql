-- The hourly and daily rollups become tables written by the snapshot job (next migration), under
-- the same names and with the same columns, so analysts' queries keep working. The views go first.
DROP VIEW IF EXISTS snapshots_hourly;
--> statement-breakpoint
DROP VIEW IF EXISTS snapshots_daily;
