// The snapshot job: under a lock shared by every instance, reads each room's counts and
// accumulators from the presence store, writes them to PostgreSQL in one transaction (reading the
// next chunk of rooms while the database writes the previous one), and only then lets the store
// forget what was written. A failed write leaves everything in the store,
// so the next run covers the whole gap.
import cron, { type ScheduledTask } from 'node-cron';
import type { Db } from '../db/client.js';
import type { Logger } from '../logging.js';
import { busiestAddress, type ConcentrationRule } from '../presence/concentration.js';
import type { ArchiveSource, RoomReading } from '../presence/store.js';
import { withTimeout } from '../timeout.js';
import type { EventRules } from './events.js';
import { writeReadingsFrom } from './writer.js';

export const SNAPSHOT_LOCK = 'snapshot';

export type { Logger };

export interface SnapshotDeps {
  store: ArchiveSource;
  db: Db;
  log: Logger;
  /** Rooms per chunk: read from the store, written to the database, committed (default 1000). */
  batchSize?: number;
  /** Expiry of the lock, ms: the longest a run may take before another instance may start one. */
  lockTtlMs?: number;
  /**
   * Keep the lock after a successful run until it expires, so that an instance whose clock is a
   * little behind does not archive the same period a second time. Failed runs release it at once.
   */
  holdLockOnSuccess?: boolean;
  /**
   * Longest wait for reading the store and writing the database, which overlap, ms (default 75 %
   * of the lock's expiry). A database that stops answering (a half-open connection, a proxy in
   * front of a stopped server) must fail the run while this instance still holds the lock; its
   * readings then stay in the store.
   */
  writeTimeoutMs?: number;
  /** Write webhook events with the snapshot by these rules (webhooks on); absent: none. */
  events?: EventRules | undefined;
  /** Report how concentrated the rooms read are by this rule (ok runs); absent: not reported. */
  concentration?: ConcentrationRule | undefined;
}

export interface SnapshotRun {
  status: 'ok' | 'skipped' | 'failed';
  /** When the run finished, epoch ms (this instance's clock). */
  at: number;
  /** Rooms read from the store. */
  rooms: number;
  /** Snapshot rows written. */
  written: number;
  /** Of the rooms read, those with at least one online session, and their online sessions (ok runs). */
  online?: { rooms: number; sessions: number };
  /**
   * Of the rooms read, those concentrated by client address, and the highest share of one address
   * over the rooms of at least the rule's minimum size (0 when none is that large); ok runs of a
   * snapshot given a rule.
   */
  concentration?: Concentration;
  /** Duration, ms. */
  ms: number;
  /**
   * Where the time went, ms. Reading the store and writing the database overlap (chunk by
   * chunk): readMs and writeMs are the time each side was busy, archiveMs the two together from
   * the first read to the database's commit; then committing to the store.
   */
  phases?: { readMs: number; writeMs: number; archiveMs: number; commitMs: number };
  /** Why the run failed (for logs and /readyz; never sent to clients). */
  error?: string;
}

const DEFAULT_LOCK_TTL_MS = 50_000;
const DEFAULT_BATCH = 1000;

/** One run of the snapshot job. Never throws: a failure is reported in the result and the log. */
export async function runSnapshot(deps: SnapshotDeps): Promise<SnapshotRun> {
  const started = performance.now();
  const result = (
    status: SnapshotRun['status'],
    rooms: number,
    written: number,
    error?: string,
  ) => ({
    status,
    at: Date.now(),
    rooms,
    written,
    ms: Math.round(performance.now() - started),
    ...(error === undefined ? {} : { error }),
  });

  let token: string | null;
  try {
    token = await deps.store.tryLock(SNAPSHOT_LOCK, deps.lockTtlMs ?? DEFAULT_LOCK_TTL_MS);
  } catch (err) {
    deps.log.warn({ err }, 'snapshot: presence store unavailable; nothing archived this period');
    return result('failed', 0, 0, message(err));
  }
  if (token === null) {
    deps.log.debug('snapshot: another instance holds the lock; skipped');
    return result('skipped', 0, 0);
  }

  let read = 0;
  let ok = false;
  // Set when the run gave up waiting: the transaction, still going, then reads no further chunk
  // and rolls back rather than commit what this run will not commit to the store.
  let abandoned = false;
  try {
    const rooms = await deps.store.roomsToArchive();
    const batchSize = deps.batchSize ?? DEFAULT_BATCH;
    const store = deps.store;
    async function* chunks() {
      for (let i = 0; i < rooms.length; i += batchSize) {
        if (abandoned) throw new Error('snapshot abandoned: the run stopped waiting');
        const chunk = await store.readRooms(rooms.slice(i, i + batchSize));
        read += chunk.length;
        yield chunk;
      }
    }
    const lockTtlMs = deps.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
    const t0 = performance.now();
    // Reading and writing overlap: the next chunk is read while the database writes this one.
    const written =
      rooms.length === 0
        ? null
        : await withTimeout(
            writeReadingsFrom(deps.db, chunks(), { events: deps.events }),
            deps.writeTimeoutMs ?? Math.floor(lockTtlMs * 0.75),
            'the database',
          );
    const readings = written?.readings ?? [];
    // Only what is safely in PostgreSQL may leave the store; in chunks, so that heartbeats are
    // served between them.
    const t1 = performance.now();
    for (let i = 0; i < readings.length; i += batchSize) {
      await deps.store.commitReadings(readings.slice(i, i + batchSize));
    }
    ok = true;
    const run: SnapshotRun = {
      ...result('ok', readings.length, written?.result.snapshots ?? 0),
      online: online(readings),
      ...(deps.concentration ? { concentration: concentration(readings, deps.concentration) } : {}),
      phases: {
        readMs: Math.round(written?.readMs ?? 0),
        writeMs: Math.round(written?.writeMs ?? 0),
        archiveMs: Math.round(t1 - t0),
        commitMs: Math.round(performance.now() - t1),
      },
    };
    deps.log.info(
      {
        rooms: run.rooms,
        written: run.written,
        entries: written?.result.entries ?? 0,
        activity: written?.result.activity ?? 0,
        events: written?.result.events ?? 0,
        ms: run.ms,
        ...run.phases,
      },
      'snapshot: archived',
    );
    return run;
  } catch (err) {
    abandoned = true;
    deps.log.error(
      { err, rooms: read },
      'snapshot: failed; the readings stay in the store and the next run covers this period',
    );
    return result('failed', read, 0, message(err));
  } finally {
    if (!(ok && deps.holdLockOnSuccess)) {
      await deps.store.unlock(SNAPSHOT_LOCK, token).catch((err: unknown) => {
        deps.log.warn({ err }, 'snapshot: could not release the lock; it will expire');
      });
    }
  }
}

export interface SnapshotCounters {
  ok: number;
  skipped: number;
  failed: number;
}

export interface SnapshotJob {
  /** The latest run of this instance (null before the first), for /readyz and /metrics. */
  readonly lastRun: SnapshotRun | null;
  /** The latest successful run of this instance. */
  readonly lastSuccess: SnapshotRun | null;
  readonly runs: Readonly<SnapshotCounters>;
  /** Runs now (unless a run is already going), outside the schedule. */
  runNow(): Promise<SnapshotRun>;
  /** Stops the schedule and waits for a run in progress. */
  stop(): Promise<void>;
}

export interface SnapshotJobOptions extends Omit<SnapshotDeps, 'lockTtlMs' | 'holdLockOnSuccess'> {
  /** node-cron expression; a leading seconds field is allowed. */
  cron: string;
  /** Told of every run (metrics). */
  onRun?: (run: SnapshotRun) => void;
}

/**
 * Schedules runSnapshot. Runs never overlap on one instance; across instances the lock lasts 80 %
 * of the shortest gap of the schedule and is held after a success, so each period is archived once.
 */
export function startSnapshotJob(options: SnapshotJobOptions): SnapshotJob {
  if (!cron.validate(options.cron)) throw new Error(`invalid cron expression: ${options.cron}`);
  let lastRun: SnapshotRun | null = null;
  let lastSuccess: SnapshotRun | null = null;
  const runs: SnapshotCounters = { ok: 0, skipped: 0, failed: 0 };
  let running: Promise<SnapshotRun> | null = null;

  const task: ScheduledTask = cron.createTask(options.cron, () => run(), {
    name: 'snapshot',
    noOverlap: true,
  });
  const lockTtlMs = Math.max(500, Math.floor(shortestGapMs(task) * 0.8));

  function run(): Promise<SnapshotRun> {
    running ??= runSnapshot({ ...options, lockTtlMs, holdLockOnSuccess: true })
      .then((r) => {
        lastRun = r;
        runs[r.status] += 1;
        if (r.status === 'ok') lastSuccess = r;
        options.onRun?.(r);
        return r;
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  void task.start();
  return {
    get lastRun() {
      return lastRun;
    },
    get lastSuccess() {
      return lastSuccess;
    },
    runs,
    runNow: run,
    async stop() {
      await task.destroy();
      await running;
    },
  };
}

/** The shortest gap between the schedule's next runs, ms (fallback one minute). */
function shortestGapMs(task: ScheduledTask): number {
  const next = task.getNextRuns(6).map((d) => d.getTime());
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < next.length; i++) gap = Math.min(gap, next[i]! - next[i - 1]!);
  return Number.isFinite(gap) && gap > 0 ? gap : 60_000;
}

function online(readings: readonly RoomReading[]): { rooms: number; sessions: number } {
  let rooms = 0;
  let sessions = 0;
  for (const r of readings) {
    if (r.sessions > 0) rooms += 1;
    sessions += r.sessions;
  }
  return { rooms, sessions };
}

/** How concentrated by client address the rooms of one snapshot were. */
export interface Concentration {
  /** Rooms concentrated by the rule. */
  rooms: number;
  /** The highest share of one address over the rooms of at least rule.minSessions sessions. */
  busiestShare: number;
}

function concentration(readings: readonly RoomReading[], rule: ConcentrationRule): Concentration {
  let rooms = 0;
  let busiestShare = 0;
  for (const r of readings) {
    if (r.sessions < rule.minSessions) continue;
    const busiest = busiestAddress(r.sessions, r.busiestAddress, rule);
    if (busiest.concentrated) rooms += 1;
    busiestShare = Math.max(busiestShare, busiest.share);
  }
  return { rooms, busiestShare };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
