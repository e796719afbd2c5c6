// Retention that runs itself: on a schedule, under a lock shared by every instance, deletes the
// archive's rows older than the settings keep, in small batches, each a short transaction of its
// own, so that no lock is held for long on what the snapshot writes (it writes the newest rows;
// the batches take the oldest).

import { sql } from 'drizzle-orm';
import cron, { type ScheduledTask } from 'node-cron';
import type { RetentionConfig } from '../config.js';
import type { Db } from '../db/client.js';
import type { ArchiveSource } from '../presence/store.js';
import type { Logger } from './snapshot.js';

export const RETENTION_LOCK = 'retention';

/** One kind of row to prune: the table, the time that ages it, and how many days it is kept. */
interface Target {
  table: string;
  /** A timestamptz column; rows where it is older than the cutoff go. */
  column: string;
  /** Which rows may go at all (open live periods, pending webhooks never do). */
  where?: string;
  days: number;
}

function targets(r: RetentionConfig): Target[] {
  return [
    { table: 'snapshots', column: 'period_start', days: r.minutesDays },
    { table: 'snapshot_entries', column: 'period_end', days: r.minutesDays },
    // By period start, as the snapshot row it belongs to: the two go together.
    { table: 'snapshot_activity', column: 'period_start', days: r.minutesDays },
    { table: 'snapshots_hourly', column: 'hour', days: r.hoursDays },
    { table: 'snapshot_entries_hourly', column: 'hour', days: r.hoursDays },
    { table: 'snapshot_activity_hourly', column: 'hour', days: r.hoursDays },
    { table: 'snapshots_daily', column: 'day', days: r.daysDays },
    { table: 'snapshot_entries_daily', column: 'day', days: r.daysDays },
    { table: 'snapshot_activity_daily', column: 'day', days: r.daysDays },
    {
      table: 'live_periods',
      column: 'ended_at',
      where: 'ended_at IS NOT NULL',
      days: r.livePeriodsDays,
    },
    // Dead letters stay until an operator deletes them (there are few; README, webhooks).
    {
      table: 'webhook_events',
      column: 'delivered_at',
      where: "status = 'delivered'",
      days: r.webhookEventsDays,
    },
  ];
}

export interface PruneResult {
  /** Rows deleted per table. */
  deleted: Record<string, number>;
  /** Whether rows older than the settings may be left (the run stopped at maxRunMs). */
  unfinished: boolean;
}

/**
 * Deletes what the settings no longer keep, as of nowMs, batchRows rows a statement, until no
 * old row is left or maxRunMs has passed. The whole rollup buckets go: an hour is pruned once its
 * start is older than the cutoff.
 */
export async function pruneArchive(
  db: Db,
  retention: RetentionConfig,
  nowMs: number = Date.now(),
): Promise<PruneResult> {
  const started = performance.now();
  const result: PruneResult = { deleted: {}, unfinished: false };
  for (const target of targets(retention)) {
    let total = 0;
    result.deleted[target.table] = 0;
    if (target.days === 0) continue;
    const cutoff = new Date(nowMs - target.days * 86_400_000);
    const table = sql.identifier(target.table);
    const column = sql.identifier(target.column);
    const where = target.where ? sql`and ${sql.raw(target.where)}` : sql``;
    for (;;) {
      if (performance.now() - started > retention.maxRunMs) {
        result.unfinished = true;
        return result;
      }
      // A TID list: PostgreSQL deletes exactly the rows the inner scan found, by address.
      const deleted = await db.execute(sql`
        delete from ${table} where ctid = any(array(
          select ctid from ${table} where ${column} < ${cutoff.toISOString()}::timestamptz ${where}
          limit ${retention.batchRows}::int))`);
      const count = affected(deleted);
      total += count;
      result.deleted[target.table] = total;
      if (count < retention.batchRows) break;
    }
  }
  return result;
}

/** Rows a DELETE affected, whichever driver is behind it (postgres-js: count; PGlite: affectedRows). */
function affected(result: unknown): number {
  const r = result as { count?: number; affectedRows?: number };
  return r.count ?? r.affectedRows ?? 0;
}

export interface RetentionRun {
  status: 'ok' | 'skipped' | 'failed';
  deleted: Record<string, number>;
  unfinished: boolean;
  ms: number;
  error?: string;
}

/** One pruning run under the shared lock. Never throws: a failure is in the result and the log. */
export async function runRetention(deps: {
  store: ArchiveSource;
  db: Db;
  log: Logger;
  retention: RetentionConfig;
  nowMs?: number;
}): Promise<RetentionRun> {
  const started = performance.now();
  const done = (status: RetentionRun['status'], pruned?: PruneResult, error?: string) => ({
    status,
    deleted: pruned?.deleted ?? {},
    unfinished: pruned?.unfinished ?? false,
    ms: Math.round(performance.now() - started),
    ...(error === undefined ? {} : { error }),
  });
  let token: string | null;
  try {
    // The lock outlives the longest run: a batch started just before maxRunMs still finishes.
    token = await deps.store.tryLock(RETENTION_LOCK, deps.retention.maxRunMs * 2);
  } catch (err) {
    deps.log.warn({ err }, 'retention: presence store unavailable; nothing pruned this time');
    return done('failed', undefined, message(err));
  }
  if (token === null) return done('skipped');
  try {
    const pruned = await pruneArchive(deps.db, deps.retention, deps.nowMs);
    const run = done('ok', pruned);
    const total = Object.values(run.deleted).reduce((a, b) => a + b, 0);
    if (total > 0 || run.unfinished) {
      deps.log.info(
        { deleted: run.deleted, unfinished: run.unfinished, ms: run.ms },
        'retention: pruned',
      );
    }
    return run;
  } catch (err) {
    deps.log.error({ err }, 'retention: pruning failed; the next run goes on');
    return done('failed', undefined, message(err));
  } finally {
    await deps.store.unlock(RETENTION_LOCK, token).catch((err: unknown) => {
      deps.log.warn({ err }, 'retention: could not release the lock; it will expire');
    });
  }
}

export interface RetentionJob {
  /** Runs now (unless a run is already going), outside the schedule. */
  runNow(): Promise<RetentionRun>;
  /** Stops the schedule and waits for a run in progress. */
  stop(): Promise<void>;
}

/** Schedules runRetention on RETENTION_CRON; runs never overlap on one instance. */
export function startRetentionJob(deps: {
  store: ArchiveSource;
  db: Db;
  log: Logger;
  retention: RetentionConfig;
}): RetentionJob {
  if (!cron.validate(deps.retention.cron)) {
    throw new Error(`invalid cron expression: ${deps.retention.cron}`);
  }
  let running: Promise<RetentionRun> | null = null;
  const run = () => {
    running ??= runRetention(deps).finally(() => {
      running = null;
    });
    return running;
  };
  const task: ScheduledTask = cron.createTask(deps.retention.cron, () => run(), {
    name: 'retention',
    noOverlap: true,
  });
  void task.start();
  return {
    runNow: run,
    async stop() {
      await task.destroy();
      await running;
    },
  };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
