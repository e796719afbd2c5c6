CREATE TABLE "snapshot_activity_daily" (
	"room" text NOT NULL,
	"day" timestamp (3) with time zone NOT NULL,
	"kind" text NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "snapshot_activity_daily_pkey" PRIMARY KEY("room","day","kind")
);
--> statement-breakpoint
CREATE TABLE "snapshot_activity_hourly" (
	"room" text NOT NULL,
	"hour" timestamp (3) with time zone NOT NULL,
	"kind" text NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "snapshot_activity_hourly_pkey" PRIMARY KEY("room","hour","kind")
);
--> statement-breakpoint
CREATE TABLE "snapshot_activity" (
	"room" text NOT NULL,
	"period_start" timestamp (3) with time zone NOT NULL,
	"period_end" timestamp (3) with time zone NOT NULL,
	"kind" text NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "snapshot_activity_pkey" PRIMARY KEY("room","period_end","kind"),
	CONSTRAINT "snapshot_activity_period_check" CHECK ("snapshot_activity"."period_end" >= "snapshot_activity"."period_start"),
	CONSTRAINT "snapshot_activity_count_check" CHECK ("snapshot_activity"."count" > 0)
);
--> statement-breakpoint
CREATE INDEX "snapshot_activity_daily_day_idx" ON "snapshot_activity_daily" USING btree ("day");--> statement-breakpoint
CREATE INDEX "snapshot_activity_hourly_hour_idx" ON "snapshot_activity_hourly" USING btree ("hour");--> statement-breakpoint
CREATE INDEX "snapshot_activity_room_period_start_idx" ON "snapshot_activity" USING btree ("room","period_start");--> statement-breakpoint
CREATE INDEX "snapshot_activity_period_start_brin" ON "snapshot_activity" USING brin ("period_start");