-- Hourly and daily rollups of snapshots (see src/db/schema/rollups.ts for why they live here).
-- Names are unqualified so the archive works in any schema. A snapshot counts for the UTC hour (day)
-- in which its period started; peaks are the highest of the bucket with the time first reached,
-- counts are the average and the last reading of the bucket, joins are summed.
CREATE VIEW snapshots_hourly AS
SELECT
  room,
  date_trunc('hour', period_start, 'UTC') AS hour,
  count(*)::integer AS snapshots,
  avg(sessions)::double precision AS sessions_avg,
  (array_agg(sessions ORDER BY period_end DESC))[1] AS sessions_last,
  avg(viewers)::double precision AS viewers_avg,
  (array_agg(viewers ORDER BY period_end DESC))[1] AS viewers_last,
  max(peak_sessions) AS peak_sessions,
  (array_agg(peak_sessions_at ORDER BY peak_sessions DESC, peak_sessions_at ASC NULLS LAST))[1] AS peak_sessions_at,
  max(peak_viewers) AS peak_viewers,
  (array_agg(peak_viewers_at ORDER BY peak_viewers DESC, peak_viewers_at ASC NULLS LAST))[1] AS peak_viewers_at,
  sum(joins)::bigint AS joins
FROM snapshots
GROUP BY room, date_trunc('hour', period_start, 'UTC');
--> statement-breakpoint
CREATE VIEW snapshots_daily AS
SELECT
  room,
  date_trunc('day', period_start, 'UTC') AS day,
  count(*)::integer AS snapshots,
  avg(sessions)::double precision AS sessions_avg,
  (array_agg(sessions ORDER BY period_end DESC))[1] AS sessions_last,
  avg(viewers)::double precision AS viewers_avg,
  (array_agg(viewers ORDER BY period_end DESC))[1] AS viewers_last,
  max(peak_sessions) AS peak_sessions,
  (array_agg(peak_sessions_at ORDER BY peak_sessions DESC, peak_sessions_at ASC NULLS LAST))[1] AS peak_sessions_at,
  max(peak_viewers) AS peak_viewers,
  (array_agg(peak_viewers_at ORDER BY peak_viewers DESC, peak_viewers_at ASC NULLS LAST))[1] AS peak_viewers_at,
  sum(joins)::bigint AS joins
FROM snapshots
GROUP BY room, date_trunc('day', period_start, 'UTC');
