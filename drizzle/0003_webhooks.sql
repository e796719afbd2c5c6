CREATE TABLE "room_thresholds" (
	"room" text NOT NULL,
	"threshold" integer NOT NULL,
	"above" boolean NOT NULL,
	"changed_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "room_thresholds_pkey" PRIMARY KEY("room","threshold")
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"room" text NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"leased_until" timestamp (3) with time zone,
	"last_status" integer,
	"last_error" text,
	"delivered_at" timestamp (3) with time zone,
	CONSTRAINT "webhook_events_seq_key" UNIQUE("seq"),
	CONSTRAINT "webhook_events_status_check" CHECK ("webhook_events"."status" IN ('pending', 'delivered', 'dead'))
);
--> statement-breakpoint
CREATE INDEX "webhook_events_pending_idx" ON "webhook_events" USING btree ("room","seq") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_events_status_seq_idx" ON "webhook_events" USING btree ("status","seq");