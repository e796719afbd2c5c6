// Reading the archive back for the history and periods routes: snapshots rolled up by step, the
// activity of the same buckets, and live periods over a time range. Buckets are UTC and aligned
// on the epoch.
import { and, asc, eq, gt, gte, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import {
  livePeriods,
  snapshotActivity,
  snapshotActivityDaily,
  snapshotActivityHourly,
  snapshots,
  snapshotsDaily,
  snapshotsHourly,
} from '../db/schema/index.js';

/** Steps of the history, in ms. */
export const stepMs = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 } as const;
export type Step = keyof typeof stepMs;
export const steps = Object.keys(stepMs) as Step[];

const stepInterval: Record<Step, string> = {
  '1m': '1 minute',
  '5m': '5 minutes',
  '1h': '1 hour',
  '1d': '1 day',
};

export interface HistoryPoint {
  /** Start of the bucket (UTC); a snapshot counts for the bucket in which its period started. */
  at: Date;
  sessionsAvg: number;
  sessionsLast: number;
  viewersAvg: number;
  viewersLast: number;
  peakSessions: number;
  peakSessionsAt: Date | null;
  peakViewers: number;
  joins: number;
}

/** Floors a time to the start of its bucket. */
export const bucketStart = (ms: number, step: Step) => Math.floor(ms / stepMs[step]) * stepMs[step];

/**
 * Since when the archive still holds minute and hourly rows (epoch ms, on an hour and a day
 * boundary); null: all of them (kept for ever). Older parts of a range answer from the next
 * coarser rollup, which is kept at least as long (the settings say so).
 */
export interface Kept {
  minutesSinceMs: number | null;
  hoursSinceMs: number | null;
}

const dayMs = stepMs['1d'];
const ceilTo = (ms: number, unitMs: number) => Math.ceil(ms / unitMs) * unitMs;

/** What the retention settings (days; 0 = for ever) leave of the minute and hourly rows at nowMs. */
export function keptAt(retention: { minutesDays: number; hoursDays: number }, nowMs: number): Kept {
  const since = (days: number, unitMs: number) =>
    days === 0 ? null : ceilTo(nowMs - days * dayMs, unitMs);
  return {
    minutesSinceMs: since(retention.minutesDays, stepMs['1h']),
    hoursSinceMs: since(retention.hoursDays, dayMs),
  };
}

/** Which rows answer one part of a history range: a rollup table, or the minute rows by step. */
interface Part {
  source: 'day' | 'hour' | 'minutes';
  from: Date;
  to: Date;
}

/**
 * Splits [from, to) by the finest rows still kept for the step: days before the hours kept,
 * hours before the minutes kept (or the whole range at 1h), minutes for the rest at 1m and 5m;
 * at 1d the daily rows answer the whole range.
 */
function historyParts(q: { from: Date; to: Date; step: Step }, kept: Kept): Part[] {
  const fromMs = q.from.getTime();
  const toMs = q.to.getTime();
  const fine = q.step === '1m' || q.step === '5m';
  // Where the hourly part begins and ends, and the minute part begins.
  const minutesFrom = fine ? Math.max(fromMs, kept.minutesSinceMs ?? fromMs) : toMs;
  const hoursFrom = q.step === '1d' ? minutesFrom : Math.max(fromMs, kept.hoursSinceMs ?? fromMs);
  const parts: Part[] = [];
  const part = (source: Part['source'], a: number, b: number) =>
    parts.push({ source, from: new Date(a), to: new Date(b) });
  if (hoursFrom > fromMs) part('day', fromMs, Math.min(hoursFrom, toMs));
  if (minutesFrom > hoursFrom) part('hour', hoursFrom, Math.min(minutesFrom, toMs));
  if (toMs > minutesFrom) part('minutes', minutesFrom, toMs);
  return parts;
}

const noneKept: Kept = { minutesSinceMs: null, hoursSinceMs: null };

/**
 * One room's snapshots in [from, to) rolled up by step: max of peaks (with the time first
 * reached), average and last of the counts, sum of joins. Buckets without snapshots are absent
 * (the room was empty, or a longer row after an outage covers them). Steps of 1h and 1d read the
 * hourly and daily rollup tables; every step answers each part of the range from the finest rows
 * still kept there (an hour of minutes pruned answers at 1h, a day of hours pruned at 1d).
 */
export async function readHistory(
  db: Db,
  q: { room: string; from: Date; to: Date; step: Step },
  kept: Kept = noneKept,
): Promise<HistoryPoint[]> {
  const parts = historyParts(q, kept).map(({ source, from, to }) =>
    source === 'minutes'
      ? readMinutes(db, { ...q, from, to })
      : readRollup(db, source, { room: q.room, from, to }),
  );
  return (await Promise.all(parts)).flat();
}

/** Events of each kind in one bucket of the history. */
export interface ActivityPoint {
  /** Start of the bucket, as HistoryPoint.at. */
  at: Date;
  kind: string;
  count: number;
}

/**
 * One room's activity in [from, to) summed by step and kind, bucketed as readHistory buckets the
 * snapshots (each activity row counts where its snapshot row does), from the same rows: the
 * finest still kept. Oldest first, kinds in order within a bucket; kinds with no events absent.
 */
export async function readActivityHistory(
  db: Db,
  q: { room: string; from: Date; to: Date; step: Step },
  kept: Kept = noneKept,
): Promise<ActivityPoint[]> {
  const parts = historyParts(q, kept).map(({ source, from, to }) =>
    source === 'minutes'
      ? readActivityMinutes(db, { ...q, from, to })
      : readActivityRollup(db, source, { room: q.room, from, to }),
  );
  return (await Promise.all(parts)).flat();
}

/** Rows of an activity rollup table over [from, to), oldest first. */
function readActivityRollup(
  db: Db,
  unit: 'hour' | 'day',
  q: { room: string; from: Date; to: Date },
): Promise<ActivityPoint[]> {
  const t = unit === 'hour' ? snapshotActivityHourly : snapshotActivityDaily;
  const at = unit === 'hour' ? snapshotActivityHourly.hour : snapshotActivityDaily.day;
  return db
    .select({ at, kind: t.kind, count: t.count })
    .from(t)
    .where(and(eq(t.room, q.room), gte(at, q.from), lt(at, q.to), gt(t.count, 0)))
    .orderBy(asc(at), asc(t.kind));
}

/** Minute activity rows summed by a step of 1m or 5m and kind, over [from, to). */
function readActivityMinutes(
  db: Db,
  q: { room: string; from: Date; to: Date; step: Step },
): Promise<ActivityPoint[]> {
  const a = snapshotActivity;
  const bucket = sql`date_bin(${sql.raw(`'${stepInterval[q.step]}'`)}::interval, ${a.periodStart}, timestamptz '1970-01-01 00:00:00+00')`;
  return db
    .select({
      at: bucket.mapWith(a.periodStart),
      kind: a.kind,
      count: sql`sum(${a.count})::bigint`.mapWith(Number),
    })
    .from(a)
    .where(and(eq(a.room, q.room), gte(a.periodStart, q.from), lt(a.periodStart, q.to)))
    .groupBy(sql`1`, a.kind)
    .orderBy(sql`1`, a.kind);
}

/** Rows of a rollup table over [from, to) as history points, oldest first. */
function readRollup(
  db: Db,
  unit: 'hour' | 'day',
  q: { room: string; from: Date; to: Date },
): Promise<HistoryPoint[]> {
  const t = unit === 'hour' ? snapshotsHourly : snapshotsDaily;
  const at = unit === 'hour' ? snapshotsHourly.hour : snapshotsDaily.day;
  return db
    .select({
      at,
      sessionsAvg: t.sessionsAvg,
      sessionsLast: t.sessionsLast,
      viewersAvg: t.viewersAvg,
      viewersLast: t.viewersLast,
      peakSessions: t.peakSessions,
      peakSessionsAt: t.peakSessionsAt,
      peakViewers: t.peakViewers,
      joins: t.joins,
    })
    .from(t)
    .where(and(eq(t.room, q.room), gte(at, q.from), lt(at, q.to)))
    .orderBy(asc(at));
}

/** Minute rows rolled up by a step of 1m or 5m, over [from, to). */
function readMinutes(
  db: Db,
  q: { room: string; from: Date; to: Date; step: Step },
): Promise<HistoryPoint[]> {
  const bucket = sql`date_bin(${sql.raw(`'${stepInterval[q.step]}'`)}::interval, ${snapshots.periodStart}, timestamptz '1970-01-01 00:00:00+00')`;
  return db
    .select({
      at: bucket.mapWith(snapshots.periodStart),
      sessionsAvg: sql`avg(${snapshots.sessions})::double precision`.mapWith(Number),
      sessionsLast:
        sql`(array_agg(${snapshots.sessions} ORDER BY ${snapshots.periodEnd} DESC))[1]`.mapWith(
          Number,
        ),
      viewersAvg: sql`avg(${snapshots.viewers})::double precision`.mapWith(Number),
      viewersLast:
        sql`(array_agg(${snapshots.viewers} ORDER BY ${snapshots.periodEnd} DESC))[1]`.mapWith(
          Number,
        ),
      peakSessions: sql`max(${snapshots.peakSessions})`.mapWith(Number),
      peakSessionsAt:
        sql`(array_agg(${snapshots.peakSessionsAt} ORDER BY ${snapshots.peakSessions} DESC, ${snapshots.peakSessionsAt} ASC NULLS LAST))[1]`.mapWith(
          snapshots.peakSessionsAt,
        ),
      peakViewers: sql`max(${snapshots.peakViewers})`.mapWith(Number),
      joins: sql`sum(${snapshots.joins})::bigint`.mapWith(Number),
    })
    .from(snapshots)
    .where(
      and(
        eq(snapshots.room, q.room),
        gte(snapshots.periodStart, q.from),
        lt(snapshots.periodStart, q.to),
      ),
    )
    .groupBy(sql`1`)
    .orderBy(sql`1`);
}

export type LivePeriod = typeof livePeriods.$inferSelect;

/** One room's live periods that overlap [from, to), oldest first; the open one included. */
export function readLivePeriods(
  db: Db,
  q: { room: string; from: Date; to: Date; limit: number },
): Promise<LivePeriod[]> {
  return db
    .select()
    .from(livePeriods)
    .where(
      and(
        eq(livePeriods.room, q.room),
        lt(livePeriods.startedAt, q.to),
        or(isNull(livePeriods.endedAt), gt(livePeriods.endedAt, q.from)),
      ),
    )
    .orderBy(asc(livePeriods.startedAt))
    .limit(q.limit);
}
