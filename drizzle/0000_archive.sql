CREATE TABLE "live_periods" (
	"room" text NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"ended_at" timestamp (3) with time zone,
	"peak_sessions" integer NOT NULL,
	"peak_sessions_at" timestamp (3) with time zone NOT NULL,
	"peak_viewers" integer NOT NULL,
	"peak_viewers_at" timestamp (3) with time zone NOT NULL,
	"joins" integer NOT NULL,
	"unique_viewers_estimate" integer NOT NULL,
	CONSTRAINT "live_periods_pkey" PRIMARY KEY("room","started_at"),
	CONSTRAINT "live_periods_end_check" CHECK ("live_periods"."ended_at" IS NULL OR "live_periods"."ended_at" >= "live_periods"."started_at")
);
--> statement-breakpoint
CREATE TABLE "room_peaks" (
	"room" text PRIMARY KEY NOT NULL,
	"peak_sessions" integer NOT NULL,
	"peak_sessions_at" timestamp (3) with time zone NOT NULL,
	"peak_viewers" integer NOT NULL,
	"peak_viewers_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "snapshot_entries" (
	"room" text NOT NULL,
	"period_end" timestamp (3) with time zone NOT NULL,
	"entry" text NOT NULL,
	"joins" integer NOT NULL,
	CONSTRAINT "snapshot_entries_pkey" PRIMARY KEY("room","period_end","entry"),
	CONSTRAINT "snapshot_entries_joins_check" CHECK ("snapshot_entries"."joins" > 0)
);
--> statement-breakpoint
CREATE TABLE "snapshots" (
	"room" text NOT NULL,
	"period_start" timestamp (3) with time zone NOT NULL,
	"period_end" timestamp (3) with time zone NOT NULL,
	"sessions" integer NOT NULL,
	"viewers" integer NOT NULL,
	"visible" integer NOT NULL,
	"peak_sessions" integer NOT NULL,
	"peak_sessions_at" timestamp (3) with time zone,
	"peak_viewers" integer NOT NULL,
	"peak_viewers_at" timestamp (3) with time zone,
	"joins" integer NOT NULL,
	CONSTRAINT "snapshots_pkey" PRIMARY KEY("room","period_end"),
	CONSTRAINT "snapshots_period_check" CHECK ("snapshots"."period_end" >= "snapshots"."period_start"),
	CONSTRAINT "snapshots_counts_check" CHECK ("snapshots"."sessions" >= 0 AND "snapshots"."viewers" >= 0 AND "snapshots"."visible" >= 0 AND "snapshots"."joins" >= 0 AND "snapshots"."peak_sessions" >= "snapshots"."sessions" AND "snapshots"."peak_viewers" >= "snapshots"."viewers")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "snapshots_room_period_start_key" ON "snapshots" USING btree ("room","period_start") WHERE period_end > period_start;--> statement-breakpoint
CREATE INDEX "snapshots_room_period_start_idx" ON "snapshots" USING btree ("room","period_start");--> statement-breakpoint
CREATE INDEX "snapshots_period_start_brin" ON "snapshots" USING brin ("period_start");