// The archive's writes, one function per table, each one statement (or two) inside the
// snapshot's transaction. Every write is safe to repeat: the same readings again change nothing.
import { getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import {
  type LivePeriodRow,
  livePeriods,
  type RoomPeakRow,
  roomPeaks,
  type SnapshotActivityRow,
  type SnapshotEntryRow,
  type SnapshotRow,
  snapshotActivity,
  snapshotEntries,
  snapshots,
} from '../db/schema/index.js';
import { greatestWithFirstTime, recordset } from './sql.js';

/** The transaction handle Drizzle passes to db.transaction's callback. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** The snapshot's rollup tables: each bucket's table, its time column and its date_trunc unit. */
const rollups = [
  {
    table: 'snapshots_hourly',
    entries: 'snapshot_entries_hourly',
    activity: 'snapshot_activity_hourly',
    bucket: 'hour',
  },
  {
    table: 'snapshots_daily',
    entries: 'snapshot_entries_daily',
    activity: 'snapshot_activity_daily',
    bucket: 'day',
  },
] as const;

/**
 * Adds the new rows of the statement (`delta`: one per room, each a period of its own) to a
 * rollup table. Sums and the count of periods add up; the last reading is the one with the
 * latest period end; peaks keep the highest with the time first reached (earliest on a tie).
 */
function rollupUpsert(table: string, bucket: string): SQL {
  const t = sql.raw(table);
  const b = sql.raw(bucket);
  const peak = (value: string) => {
    const v = sql.raw(`${table}.${value}`);
    const at = sql.raw(`${table}.${value}_at`);
    const nv = sql.raw(`excluded.${value}`);
    const nat = sql.raw(`excluded.${value}_at`);
    return sql`${sql.raw(value)} = greatest(${v}, ${nv}),
      ${sql.raw(`${value}_at`)} = case when ${nv} > ${v} then ${nat}
        when ${nv} = ${v} then least(${at}, ${nat}) else ${at} end`;
  };
  const last = (column: string) =>
    sql`${sql.raw(column)} = case when excluded.last_period_end >= ${t}.last_period_end
      then excluded.${sql.raw(column)} else ${t}.${sql.raw(column)} end`;
  return sql`insert into ${t} (room, ${b}, snapshots, sessions_sum, sessions_last, viewers_sum,
      viewers_last, last_period_end, peak_sessions, peak_sessions_at, peak_viewers, peak_viewers_at, joins)
    select room, date_trunc(${sql.raw(`'${bucket}'`)}, period_start, 'UTC'), 1, sessions, sessions,
      viewers, viewers, period_end, peak_sessions, peak_sessions_at, peak_viewers, peak_viewers_at, joins
    from delta
    on conflict (room, ${b}) do update set
      snapshots = ${t}.snapshots + excluded.snapshots,
      sessions_sum = ${t}.sessions_sum + excluded.sessions_sum,
      viewers_sum = ${t}.viewers_sum + excluded.viewers_sum,
      ${last('sessions_last')},
      ${last('viewers_last')},
      last_period_end = greatest(${t}.last_period_end, excluded.last_period_end),
      ${peak('peak_sessions')},
      ${peak('peak_viewers')},
      joins = ${t}.joins + excluded.joins`;
}

/**
 * Counts the difference of replaced rows in a rollup table: the same number of periods, the new
 * sums less the old; the longer reading's peaks are at least the shorter one's and its end is
 * later. Apart from the insert's upsert because a proposed row must be valid on its own (a count
 * of 0 periods is not); a statement of its own, as rows are replaced only after a failed commit.
 */
function rollupReplace(table: string, bucket: string, replaced: SQL): SQL {
  const t = sql.raw(table);
  const peak = (value: string) => {
    const v = sql.raw(`t.${value}`);
    const at = sql.raw(`t.${value}_at`);
    const nv = sql.raw(`d.${value}`);
    const nat = sql.raw(`d.${value}_at`);
    return sql`${sql.raw(value)} = greatest(${v}, ${nv}),
      ${sql.raw(`${value}_at`)} = case when ${nv} > ${v} then ${nat}
        when ${nv} = ${v} then least(${at}, ${nat}) else ${at} end`;
  };
  return sql`update ${t} t set
      sessions_sum = t.sessions_sum + d.sessions - d.sessions_before,
      viewers_sum = t.viewers_sum + d.viewers - d.viewers_before,
      sessions_last = case when d.period_end >= t.last_period_end then d.sessions else t.sessions_last end,
      viewers_last = case when d.period_end >= t.last_period_end then d.viewers else t.viewers_last end,
      last_period_end = greatest(t.last_period_end, d.period_end),
      ${peak('peak_sessions')},
      ${peak('peak_viewers')},
      joins = t.joins + d.joins - d.joins_before
    from (${replaced}) d
    where t.room = d.room
      and t.${sql.raw(bucket)} = date_trunc(${sql.raw(`'${bucket}'`)}, d.period_start, 'UTC')`;
}

/** A replaced row's new values and the sums of the row it replaced. */
interface Replaced {
  row: SnapshotRow;
  sessionsBefore: number;
  viewersBefore: number;
  joinsBefore: number;
}

/** Adds the differences of replaced rows to the hourly and daily rollups. */
async function rollupReplaced(tx: Tx, replaced: readonly Replaced[]): Promise<void> {
  const records = replaced.map(({ row, ...before }) => ({
    room: row.room,
    s: row.periodStart.getTime(),
    e: row.periodEnd.getTime(),
    sessions: row.sessions,
    viewers: row.viewers,
    joins: row.joins,
    ps: row.peakSessions,
    psa: row.peakSessionsAt?.getTime() ?? null,
    pv: row.peakViewers,
    pva: row.peakViewersAt?.getTime() ?? null,
    sb: before.sessionsBefore,
    vb: before.viewersBefore,
    jb: before.joinsBefore,
  }));
  const rows = sql`select j.room, to_timestamp(j.s / 1000.0) as period_start,
      to_timestamp(j.e / 1000.0) as period_end, j.sessions, j.viewers, j.joins,
      j.ps as peak_sessions, to_timestamp(j.psa / 1000.0) as peak_sessions_at,
      j.pv as peak_viewers, to_timestamp(j.pva / 1000.0) as peak_viewers_at,
      j.sb as sessions_before, j.vb as viewers_before, j.jb as joins_before
    from json_to_recordset(${JSON.stringify(records)}::json) as j(room text, s float8, e float8,
      sessions int, viewers int, joins int, ps int, psa float8, pv int, pva float8, sb int, vb int, jb int)`;
  for (const { table, bucket } of rollups) await tx.execute(rollupReplace(table, bucket, rows));
}

/**
 * Inserts snapshot rows and adds them to the hourly and daily rollups, in one statement; returns
 * the rooms whose row was written and those whose row replaced a shorter one. A row exists for
 * (room, period_start) only when a reading was written but never committed to the store; the
 * next reading of the room covers the same period and more, so it replaces the shorter row (and
 * its entries), and the rollups count the difference (rollupReplaced): the same number of
 * periods, the new sums less the old. The same reading again (same period_end) is skipped and
 * changes no rollup.
 *
 * The old values are read by the same statement that replaces them, so no other writer may
 * change them in between: writeReadingsFrom holds the archive's transaction lock.
 */
export async function upsertSnapshots(
  tx: Tx,
  rows: readonly SnapshotRow[],
): Promise<{ written: Set<string>; replaced: number }> {
  const columns = Object.values(getTableColumns(snapshots)).map((c) => sql.identifier(c.name));
  const set = ['period_end', 'sessions', 'viewers', 'visible', 'peak_sessions', 'peak_sessions_at']
    .concat(['peak_viewers', 'peak_viewers_at', 'joins'])
    .map((c) => sql.raw(`${c} = excluded.${c}`));
  const result = await tx.execute(sql`
    with r as (${recordset(snapshots, rows)}),
    -- The rows a reading replaces, found by index one reading at a time, read once.
    prior as materialized (
      select r.room, p.sessions, p.viewers, p.joins from r cross join lateral (
        select s.sessions, s.viewers, s.joins from ${snapshots} s
        where s.room = r.room and s.period_start = r.period_start
          and s.period_end > s.period_start and s.period_end < r.period_end
        limit 1) p
    ),
    written as (
      insert into ${snapshots} (${sql.join(columns, sql`, `)})
      select r.* from r
      where not exists (select 1 from ${snapshots} s where s.room = r.room and s.period_end = r.period_end)
      -- The arbiter is the partial unique index: a period of zero length never replaces or is
      -- replaced (the next period of its room starts at the same instant, legitimately).
      on conflict (room, period_start) where period_end > period_start do update set ${sql.join(set, sql`, `)}
      where excluded.period_end > ${snapshots}.period_end
      returning room, period_start, period_end, sessions, viewers, peak_sessions, peak_sessions_at,
        peak_viewers, peak_viewers_at, joins, (xmax <> 0) as replaced
    ),
    delta as (select * from written where not replaced),
    hourly as (${rollupUpsert(rollups[0].table, rollups[0].bucket)}),
    daily as (${rollupUpsert(rollups[1].table, rollups[1].bucket)})
    select w.room, w.replaced, p.sessions, p.viewers, p.joins
    from written w left join prior p on p.room = w.room`);
  const returned = rowsOf(result) as {
    room: string;
    replaced: boolean;
    sessions: number | null;
    viewers: number | null;
    joins: number | null;
  }[];
  const byRoom = new Map(rows.map((r) => [r.room, r]));
  const replaced = returned
    .filter((r) => r.replaced)
    .map((r) => ({
      row: byRoom.get(r.room)!,
      sessionsBefore: r.sessions ?? 0,
      viewersBefore: r.viewers ?? 0,
      joinsBefore: r.joins ?? 0,
    }));
  if (replaced.length > 0) {
    await rollupReplaced(tx, replaced);
    await deleteReplacedParts(
      tx,
      replaced.map((r) => r.row),
    );
  }
  return { written: new Set(returned.map((r) => r.room)), replaced: replaced.length };
}

/** JSON rows of entries with the start of their period, as `e` (room, period_start, period_end, entry, joins). */
function entryRecords(rows: readonly EntryRow[]): SQL {
  const records = rows.map((r) => ({
    r: r.room,
    s: r.periodStart.getTime(),
    e: r.periodEnd.getTime(),
    n: r.entry,
    j: r.joins,
  }));
  return sql`select j.r as room, to_timestamp(j.s / 1000.0) as period_start,
      to_timestamp(j.e / 1000.0) as period_end, j.n as entry, j.j as joins
    from json_to_recordset(${JSON.stringify(records)}::json) as j(r text, s float8, e float8, n text, j int)`;
}

/**
 * A replaced row's entries and activity are the ones of its room between its start and the new
 * end: deleted, and taken off the rollups of the bucket the row counted for (its period start's).
 */
async function deleteReplacedParts(tx: Tx, rows: readonly SnapshotRow[]): Promise<void> {
  const replaced = rows.map((r) => ({
    room: r.room,
    periodStart: r.periodStart,
    periodEnd: r.periodEnd,
    entry: '',
    joins: 0,
  }));
  const subtract = (gone: string, table: string, bucket: string, label: string, value: string) =>
    sql`update ${sql.raw(table)} t
      set ${sql.raw(`${value} = t.${value} - g.${value}`)}
      from (select room, date_trunc(${sql.raw(`'${bucket}'`)}, period_start, 'UTC') as b,
        ${sql.raw(`${label}, sum(${value}) as ${value} from ${gone} group by 1, 2, 3`)}) g
      where t.room = g.room and t.${sql.raw(bucket)} = g.b and ${sql.raw(`t.${label} = g.${label}`)}`;
  const [hour, day] = rollups;
  await tx.execute(sql`
    with x as (${entryRecords(replaced)}),
    gone as (
      delete from ${snapshotEntries} e using x
      where e.room = x.room and e.period_end > x.period_start and e.period_end < x.period_end
      returning e.room, x.period_start, e.entry, e.joins
    ),
    hourly as (${subtract('gone', hour.entries, hour.bucket, 'entry', 'joins')}),
    daily as (${subtract('gone', day.entries, day.bucket, 'entry', 'joins')}),
    gone_activity as (
      delete from ${snapshotActivity} a using x
      where a.room = x.room and a.period_start = x.period_start
        and a.period_end > a.period_start and a.period_end < x.period_end
      returning a.room, a.period_start, a.kind, a.count
    ),
    activity_hourly as (${subtract('gone_activity', hour.activity, hour.bucket, 'kind', 'count')}),
    activity_daily as (${subtract('gone_activity', day.activity, day.bucket, 'kind', 'count')})
    select 1`);
}

/** An entry row with the start of the period it belongs to (which decides its rollup bucket). */
export type EntryRow = SnapshotEntryRow & { periodStart: Date };

/** Inserts joins by entry and adds them to the hourly and daily entry rollups, in one statement. */
export async function insertEntries(tx: Tx, rows: readonly EntryRow[]): Promise<void> {
  if (rows.length === 0) return;
  const add = (table: string, bucket: string) => sql`insert into ${sql.raw(table)} as t
      (room, ${sql.raw(bucket)}, entry, joins)
    select room, date_trunc(${sql.raw(`'${bucket}'`)}, period_start, 'UTC'), entry, joins from added
    on conflict (room, ${sql.raw(bucket)}, entry) do update set joins = t.joins + excluded.joins`;
  await tx.execute(sql`
    with x as (${entryRecords(rows)}),
    inserted as (
      insert into ${snapshotEntries} (room, period_end, entry, joins)
      select room, period_end, entry, joins from x
      on conflict do nothing
      returning room, period_end, entry, joins
    ),
    added as (
      select i.room, x.period_start, i.entry, i.joins from inserted i
      join x on x.room = i.room and x.period_end = i.period_end and x.entry = i.entry
    ),
    hourly as (${add(rollups[0].entries, rollups[0].bucket)}),
    daily as (${add(rollups[1].entries, rollups[1].bucket)})
    select 1`);
}

/**
 * Inserts activity by kind and adds it to the hourly and daily activity rollups, in one
 * statement. A row already there (the same reading again) is skipped and adds nothing.
 */
export async function insertActivity(tx: Tx, rows: readonly SnapshotActivityRow[]): Promise<void> {
  if (rows.length === 0) return;
  const add = (table: string, bucket: string) => sql`insert into ${sql.raw(table)} as t
      (room, ${sql.raw(bucket)}, kind, count)
    select room, date_trunc(${sql.raw(`'${bucket}'`)}, period_start, 'UTC'), kind, sum(count)
    from inserted group by 1, 2, 3
    on conflict (room, ${sql.raw(bucket)}, kind) do update set count = t.count + excluded.count`;
  await tx.execute(sql`
    with inserted as (
      insert into ${snapshotActivity} (room, period_start, period_end, kind, count)
      ${recordset(snapshotActivity, rows)}
      on conflict do nothing
      returning room, period_start, kind, count
    ),
    hourly as (${add(rollups[0].activity, rollups[0].bucket)}),
    daily as (${add(rollups[1].activity, rollups[1].bucket)})
    select 1`);
}

/** Rows of tx.execute, whichever driver is behind it (postgres-js: an array; PGlite: {rows}). */
function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  return (result as { rows?: Record<string, unknown>[] }).rows ?? [];
}

export async function upsertLivePeriods(tx: Tx, rows: readonly LivePeriodRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .insert(livePeriods)
    .select(recordset(livePeriods, rows))
    .onConflictDoUpdate({
      target: [livePeriods.room, livePeriods.startedAt],
      set: {
        // Once closed, a live period stays closed (a late retry of an older reading cannot reopen it).
        endedAt: sql`coalesce(${livePeriods.endedAt}, excluded.ended_at)`,
        ...greatestWithFirstTime(
          livePeriods.peakSessions,
          livePeriods.peakSessionsAt,
          'peakSessions',
        ),
        ...greatestWithFirstTime(livePeriods.peakViewers, livePeriods.peakViewersAt, 'peakViewers'),
        joins: sql`greatest(${livePeriods.joins}, excluded.joins)`,
        uniqueViewersEstimate: sql`greatest(${livePeriods.uniqueViewersEstimate}, excluded.unique_viewers_estimate)`,
      },
    });
}

export async function upsertRoomPeaks(tx: Tx, rows: readonly RoomPeakRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .insert(roomPeaks)
    .select(
      // Most snapshots set no new all-time peak: leave those rooms out before the upsert.
      recordset(
        roomPeaks,
        rows,
        sql`where not exists (select 1 from ${roomPeaks} p where p.room = r.room
          and p.peak_sessions >= r.peak_sessions and p.peak_viewers >= r.peak_viewers
          and (p.peak_sessions > r.peak_sessions or p.peak_sessions_at <= r.peak_sessions_at)
          and (p.peak_viewers > r.peak_viewers or p.peak_viewers_at <= r.peak_viewers_at))`,
      ),
    )
    .onConflictDoUpdate({
      target: roomPeaks.room,
      set: {
        ...greatestWithFirstTime(roomPeaks.peakSessions, roomPeaks.peakSessionsAt, 'peakSessions'),
        ...greatestWithFirstTime(roomPeaks.peakViewers, roomPeaks.peakViewersAt, 'peakViewers'),
        updatedAt: sql`now()`,
      },
      setWhere: sql`excluded.peak_sessions > ${roomPeaks.peakSessions} OR excluded.peak_viewers > ${roomPeaks.peakViewers}
        OR (excluded.peak_sessions = ${roomPeaks.peakSessions} AND excluded.peak_sessions_at < ${roomPeaks.peakSessionsAt})
        OR (excluded.peak_viewers = ${roomPeaks.peakViewers} AND excluded.peak_viewers_at < ${roomPeaks.peakViewersAt})`,
    });
}
