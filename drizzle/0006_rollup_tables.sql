CREATE TABLE "snapshot_entries_daily" (
	"room" text NOT NULL,
	"day" timestamp (3) with time zone NOT NULL,
	"entry" text NOT NULL,
	"joins" bigint NOT NULL,
	CONSTRAINT "snapshot_entries_daily_pkey" PRIMARY KEY("room","day","entry")
);
--> statement-breakpoint
CREATE TABLE "snapshot_entries_hourly" (
	"room" text NOT NULL,
	"hour" timestamp (3) with time zone NOT NULL,
	"entry" text NOT NULL,
	"joins" bigint NOT NULL,
	CONSTRAINT "snapshot_entries_hourly_pkey" PRIMARY KEY("room","hour","entry")
);
--> statement-breakpoint
CREATE TABLE "snapshots_daily" (
	"room" text NOT NULL,
	"day" timestamp (3) with time zone NOT NULL,
	"snapshots" integer NOT NULL,
	"sessions_sum" bigint NOT NULL,
	"sessions_avg" double precision GENERATED ALWAYS AS (("sessions_sum"::double precision / "snapshots")) STORED NOT NULL,
	"sessions_last" integer NOT NULL,
	"viewers_sum" bigint NOT NULL,
	"viewers_avg" double precision GENERATED ALWAYS AS (("viewers_sum"::double precision / "snapshots")) STORED NOT NULL,
	"viewers_last" integer NOT NULL,
	"last_period_end" timestamp (3) with time zone NOT NULL,
	"peak_sessions" integer NOT NULL,
	"peak_sessions_at" timestamp (3) with time zone,
	"peak_viewers" integer NOT NULL,
	"peak_viewers_at" timestamp (3) with time zone,
	"joins" bigint NOT NULL,
	CONSTRAINT "snapshots_daily_pkey" PRIMARY KEY("room","day"),
	CONSTRAINT "snapshots_daily_snapshots_check" CHECK ("snapshots_daily"."snapshots" > 0)
);
--> statement-breakpoint
CREATE TABLE "snapshots_hourly" (
	"room" text NOT NULL,
	"hour" timestamp (3) with time zone NOT NULL,
	"snapshots" integer NOT NULL,
	"sessions_sum" bigint NOT NULL,
	"sessions_avg" double precision GENERATED ALWAYS AS (("sessions_sum"::double precision / "snapshots")) STORED NOT NULL,
	"sessions_last" integer NOT NULL,
	"viewers_sum" bigint NOT NULL,
	"viewers_avg" double precision GENERATED ALWAYS AS (("viewers_sum"::double precision / "snapshots")) STORED NOT NULL,
	"viewers_last" integer NOT NULL,
	"last_period_end" timestamp (3) with time zone NOT NULL,
	"peak_sessions" integer NOT NULL,
	"peak_sessions_at" timestamp (3) with time zone,
	"peak_viewers" integer NOT NULL,
	"peak_viewers_at" timestamp (3) with time zone,
	"joins" bigint NOT NULL,
	CONSTRAINT "snapshots_hourly_pkey" PRIMARY KEY("room","hour"),
	CONSTRAINT "snapshots_hourly_snapshots_check" CHECK ("snapshots_hourly"."snapshots" > 0)
);
--> statement-breakpoint
CREATE INDEX "snapshot_entries_daily_day_idx" ON "snapshot_entries_daily" USING btree ("day");--> statement-breakpoint
CREATE INDEX "snapshot_entries_hourly_hour_idx" ON "snapshot_entries_hourly" USING btree ("hour");--> statement-breakpoint
CREATE INDEX "snapshots_daily_day_idx" ON "snapshots_daily" USING btree ("day");--> statement-breakpoint
CREATE INDEX "snapshots_hourly_hour_idx" ON "snapshots_hourly" USING btree ("hour");--> statement-breakpoint
CREATE INDEX "snapshot_entries_period_end_brin" ON "snapshot_entries" USING brin ("period_end");