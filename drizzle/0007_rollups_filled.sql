-- Fills the rollup tables from the minute rows already archived (an existing database keeps its
-- history: the hourly and daily answers are the same as the views gave), and comments the new
-- tables for analysts. The minute rows themselves keep their table and layout.
INSERT INTO snapshots_hourly (room, hour, snapshots, sessions_sum, sessions_last, viewers_sum, viewers_last,
  last_period_end, peak_sessions, peak_sessions_at, peak_viewers, peak_viewers_at, joins)
SELECT
  room,
  date_trunc('hour', period_start, 'UTC'),
  count(*),
  sum(sessions),
  (array_agg(sessions ORDER BY period_end DESC))[1],
  sum(viewers),
  (array_agg(viewers ORDER BY period_end DESC))[1],
  max(period_end),
  max(peak_sessions),
  (array_agg(peak_sessions_at ORDER BY peak_sessions DESC, peak_sessions_at ASC NULLS LAST))[1],
  max(peak_viewers),
  (array_agg(peak_viewers_at ORDER BY peak_viewers DESC, peak_viewers_at ASC NULLS LAST))[1],
  sum(joins)
FROM snapshots
GROUP BY 1, 2
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO snapshots_daily (room, day, snapshots, sessions_sum, sessions_last, viewers_sum, viewers_last,
  last_period_end, peak_sessions, peak_sessions_at, peak_viewers, peak_viewers_at, joins)
SELECT
  room,
  date_trunc('day', period_start, 'UTC'),
  count(*),
  sum(sessions),
  (array_agg(sessions ORDER BY period_end DESC))[1],
  sum(viewers),
  (array_agg(viewers ORDER BY period_end DESC))[1],
  max(period_end),
  max(peak_sessions),
  (array_agg(peak_sessions_at ORDER BY peak_sessions DESC, peak_sessions_at ASC NULLS LAST))[1],
  max(peak_viewers),
  (array_agg(peak_viewers_at ORDER BY peak_viewers DESC, peak_viewers_at ASC NULLS LAST))[1],
  sum(joins)
FROM snapshots
GROUP BY 1, 2
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO snapshot_entries_hourly (room, hour, entry, joins)
SELECT e.room, date_trunc('hour', s.period_start, 'UTC'), e.entry, sum(e.joins)
FROM snapshot_entries e JOIN snapshots s ON s.room = e.room AND s.period_end = e.period_end
GROUP BY 1, 2, 3
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO snapshot_entries_daily (room, day, entry, joins)
SELECT e.room, date_trunc('day', s.period_start, 'UTC'), e.entry, sum(e.joins)
FROM snapshot_entries e JOIN snapshots s ON s.room = e.room AND s.period_end = e.period_end
GROUP BY 1, 2, 3
ON CONFLICT DO NOTHING;
--> statement-breakpoint
COMMENT ON TABLE snapshots_hourly IS 'Snapshots rolled up per room and UTC hour, written by the snapshot job in the same transaction as the minute rows and kept after they are pruned. A snapshot counts for the hour in which its period started. Peaks: highest of the hour with the time first reached; counts: average and last reading; joins: summed.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.room IS 'Room id.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.hour IS 'Start of the UTC hour.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.snapshots IS 'Number of snapshots rows (periods) rolled up.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.sessions_sum IS 'Sum of the sessions read at the end of each period of the hour (sessions_avg = sessions_sum / snapshots).';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.sessions_avg IS 'Average of the sessions read at the end of each period of the hour.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.sessions_last IS 'Sessions read at the end of the hour''s last period.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.viewers_sum IS 'Sum of the viewers read at the end of each period of the hour (viewers_avg = viewers_sum / snapshots).';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.viewers_avg IS 'Average of the viewers read at the end of each period of the hour.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.viewers_last IS 'Viewers read at the end of the hour''s last period.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.last_period_end IS 'End of the hour''s last period (UTC): when sessions_last and viewers_last were read.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.peak_sessions IS 'Highest peak_sessions of the hour.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.peak_sessions_at IS 'When that peak was first reached (UTC); null when it is 0.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.peak_viewers IS 'Highest peak_viewers of the hour.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.peak_viewers_at IS 'When that peak was first reached (UTC); null when it is 0.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.joins IS 'Sessions that came online during the hour (sum of joins).';
--> statement-breakpoint
COMMENT ON TABLE snapshots_daily IS 'Snapshots rolled up per room and UTC day, written by the snapshot job in the same transaction as the minute rows and kept after they are pruned. A snapshot counts for the day in which its period started. Peaks: highest of the day with the time first reached; counts: average and last reading; joins: summed.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.room IS 'Room id.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.day IS 'Start of the UTC day.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.snapshots IS 'Number of snapshots rows (periods) rolled up.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.sessions_sum IS 'Sum of the sessions read at the end of each period of the day (sessions_avg = sessions_sum / snapshots).';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.sessions_avg IS 'Average of the sessions read at the end of each period of the day.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.sessions_last IS 'Sessions read at the end of the day''s last period.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.viewers_sum IS 'Sum of the viewers read at the end of each period of the day (viewers_avg = viewers_sum / snapshots).';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.viewers_avg IS 'Average of the viewers read at the end of each period of the day.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.viewers_last IS 'Viewers read at the end of the day''s last period.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.last_period_end IS 'End of the day''s last period (UTC): when sessions_last and viewers_last were read.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.peak_sessions IS 'Highest peak_sessions of the day.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.peak_sessions_at IS 'When that peak was first reached (UTC); null when it is 0.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.peak_viewers IS 'Highest peak_viewers of the day.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.peak_viewers_at IS 'When that peak was first reached (UTC); null when it is 0.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.joins IS 'Sessions that came online during the day (sum of joins).';
--> statement-breakpoint
COMMENT ON TABLE snapshot_entries_hourly IS 'Joins by entry summed per room, entry and UTC hour (the hour in which each period started), kept after the minute rows are pruned.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_entries_hourly.room IS 'Room id.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_entries_hourly.hour IS 'Start of the UTC hour.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_entries_hourly.entry IS 'Entry as sent by the page (at most 64 characters).';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_entries_hourly.joins IS 'Sessions that joined with this entry in periods that started in the hour.';
--> statement-breakpoint
COMMENT ON TABLE snapshot_entries_daily IS 'Joins by entry summed per room, entry and UTC day (the day in which each period started), kept after the minute rows are pruned.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_entries_daily.room IS 'Room id.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_entries_daily.day IS 'Start of the UTC day.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_entries_daily.entry IS 'Entry as sent by the page (at most 64 characters).';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_entries_daily.joins IS 'Sessions that joined with this entry in periods that started in the day.';
