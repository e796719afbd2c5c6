-- Comments on every table, view and column, for analysts reading the schema with \d+.
-- (drizzle-kit cannot emit COMMENT ON, so they live in this custom migration.)
COMMENT ON TABLE snapshots IS 'One row per room per snapshot period (one minute by default): the counts read at the end of the period, the peaks reached during it and the joins. After an outage of the database, one row covers the whole gap (period_start to period_end). All times UTC.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots.room IS 'Room id as sent by pages (case-sensitive).';
--> statement-breakpoint
COMMENT ON COLUMN snapshots.period_start IS 'Start of the period (UTC): the end of this room''s previous row, or its first heartbeat.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots.period_end IS 'End of the period (UTC): when the counts of this row were read.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots.sessions IS 'Online sessions (open tabs) at period_end.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots.viewers IS 'Distinct viewers (people) among the online sessions at period_end.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots.visible IS 'Online sessions whose page was in the foreground at their latest heartbeat, at period_end.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots.peak_sessions IS 'Highest number of online sessions during the period (never below sessions).';
--> statement-breakpoint
COMMENT ON COLUMN snapshots.peak_sessions_at IS 'When peak_sessions was first reached (UTC); period_start when the room already had it when the period began; null when the peak is 0.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots.peak_viewers IS 'Highest number of distinct viewers during the period (never below viewers).';
--> statement-breakpoint
COMMENT ON COLUMN snapshots.peak_viewers_at IS 'When peak_viewers was first reached (UTC); period_start when the room already had it when the period began; null when the peak is 0.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots.joins IS 'Sessions that came online during the period (first heartbeat, or back after expiring; a reload is not a join).';
--> statement-breakpoint
COMMENT ON TABLE snapshot_entries IS 'Joins of one snapshot period split by entry (where the viewers came from). Joins the snapshots row with the same room and period_end.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_entries.room IS 'Room id of the snapshots row.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_entries.period_end IS 'period_end of the snapshots row.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_entries.entry IS 'Entry as sent by the page (at most 64 characters), e.g. a referrer or campaign.';
--> statement-breakpoint
COMMENT ON COLUMN snapshot_entries.joins IS 'Sessions that joined during the period with this entry.';
--> statement-breakpoint
COMMENT ON TABLE live_periods IS 'Stretches of time in which a room was never empty: from the first session of an empty room until it emptied. The open one has ended_at null and is updated by every snapshot. All times UTC.';
--> statement-breakpoint
COMMENT ON COLUMN live_periods.room IS 'Room id.';
--> statement-breakpoint
COMMENT ON COLUMN live_periods.started_at IS 'When the empty room got its first session (UTC).';
--> statement-breakpoint
COMMENT ON COLUMN live_periods.ended_at IS 'When the room emptied, i.e. the deadline of its last session (UTC); null while the period is open.';
--> statement-breakpoint
COMMENT ON COLUMN live_periods.peak_sessions IS 'Highest number of online sessions in the live period.';
--> statement-breakpoint
COMMENT ON COLUMN live_periods.peak_sessions_at IS 'When peak_sessions was first reached (UTC).';
--> statement-breakpoint
COMMENT ON COLUMN live_periods.peak_viewers IS 'Highest number of distinct viewers in the live period.';
--> statement-breakpoint
COMMENT ON COLUMN live_periods.peak_viewers_at IS 'When peak_viewers was first reached (UTC).';
--> statement-breakpoint
COMMENT ON COLUMN live_periods.joins IS 'Sessions that came online during the live period.';
--> statement-breakpoint
COMMENT ON COLUMN live_periods.unique_viewers_estimate IS 'Distinct viewers over the whole live period, estimated with a HyperLogLog (standard error about 0.8 %).';
--> statement-breakpoint
COMMENT ON TABLE room_peaks IS 'All-time peaks per room, as archived, with the time each was first reached (UTC).';
--> statement-breakpoint
COMMENT ON COLUMN room_peaks.room IS 'Room id.';
--> statement-breakpoint
COMMENT ON COLUMN room_peaks.peak_sessions IS 'Highest number of online sessions the room ever had.';
--> statement-breakpoint
COMMENT ON COLUMN room_peaks.peak_sessions_at IS 'When peak_sessions was first reached (UTC).';
--> statement-breakpoint
COMMENT ON COLUMN room_peaks.peak_viewers IS 'Highest number of distinct viewers the room ever had.';
--> statement-breakpoint
COMMENT ON COLUMN room_peaks.peak_viewers_at IS 'When peak_viewers was first reached (UTC).';
--> statement-breakpoint
COMMENT ON COLUMN room_peaks.updated_at IS 'When this row last changed (UTC).';
--> statement-breakpoint
COMMENT ON VIEW snapshots_hourly IS 'Snapshots rolled up per room and UTC hour. A snapshot counts for the hour in which its period started. Peaks: highest of the hour with the time first reached; counts: average and last reading; joins: summed.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.room IS 'Room id.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.hour IS 'Start of the UTC hour.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.snapshots IS 'Number of snapshots rows rolled up.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.sessions_avg IS 'Average of the sessions read at the end of each period of the hour.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.sessions_last IS 'Sessions read at the end of the hour''s last period.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.viewers_avg IS 'Average of the viewers read at the end of each period of the hour.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_hourly.viewers_last IS 'Viewers read at the end of the hour''s last period.';
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
COMMENT ON VIEW snapshots_daily IS 'Snapshots rolled up per room and UTC day. A snapshot counts for the day in which its period started. Peaks: highest of the day with the time first reached; counts: average and last reading; joins: summed.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.room IS 'Room id.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.day IS 'Start of the UTC day.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.snapshots IS 'Number of snapshots rows rolled up.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.sessions_avg IS 'Average of the sessions read at the end of each period of the day.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.sessions_last IS 'Sessions read at the end of the day''s last period.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.viewers_avg IS 'Average of the viewers read at the end of each period of the day.';
--> statement-breakpoint
COMMENT ON COLUMN snapshots_daily.viewers_last IS 'Viewers read at the end of the day''s last period.';
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
