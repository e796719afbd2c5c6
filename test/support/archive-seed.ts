// Seeds the archive the way production fills it: heartbeats into an embedded presence store whose
// clock the test moves, and the real snapshot job (runSnapshot) at the end of every minute,
// writing through the real writer. Nothing is inserted behind the job's back.

import { count, eq, sql } from 'drizzle-orm';
import { runSnapshot } from '../../src/archive/snapshot.js';
import type { Database } from '../../src/db/client.js';
import { snapshotActivity, snapshots } from '../../src/db/schema/index.js';
import { MemoryPresenceStore } from '../../src/presence/memory-store.js';
import { rebuildRollups } from './seed.js';
import { testConfig } from './stores.js';

const minuteMs = 60_000;
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/** Where the k-th session of a room came from: half by newsletter, a third social, the rest direct. */
export const entryOf = (k: number) => (k % 6 < 3 ? 'newsletter' : k % 6 < 5 ? 'social' : 'direct');

export interface ArchivedMinutes {
  /** Snapshot runs that wrote at least one row. */
  runs: number;
  /** Epoch ms of the first and of the last snapshot run. */
  firstRunMs: number;
  lastRunMs: number;
}

/**
 * Archives `sessions.length` minutes of a room from startMs (a whole minute): in minute i the
 * sessions 0..sessions[i]-1 each send a heartbeat at :10 and at :40 (the k-th as viewer k/2, so two
 * sessions a viewer, with entryOf(k)); null means nobody, so the room empties. The snapshot job runs
 * at the end of every minute, and (unless close is false) once more a minute after the last, which
 * archives the room emptying and closes its live period.
 */
export async function archiveMinutes(
  database: Database,
  room: string,
  startMs: number,
  sessions: readonly (number | null)[],
  { close = true }: { close?: boolean } = {},
): Promise<ArchivedMinutes> {
  let nowMs = startMs;
  const store = new MemoryPresenceStore(testConfig().rules, () => nowMs);
  let runs = 0;
  const run = async () => {
    const result = await runSnapshot({ store, db: database.db, log: quiet });
    if (result.status !== 'ok') throw new Error(`snapshot run failed: ${result.error}`);
    if (result.written > 0) runs++;
  };
  for (const [i, n] of sessions.entries()) {
    // Two heartbeats a minute, 30 s apart: well inside the 45 s a visible session stays online.
    for (const atS of [10, 40]) {
      nowMs = startMs + i * minuteMs + atS * 1000;
      for (let k = 0; k < (n ?? 0); k++) {
        const outcome = await store.heartbeat({
          room,
          session: `seed-session-${k}`,
          viewer: `seed-viewer-${Math.floor(k / 2)}`,
          state: 'visible',
          entry: entryOf(k),
        });
        if (!outcome.accepted) throw new Error('a seeded heartbeat was refused');
      }
    }
    nowMs = startMs + (i + 1) * minuteMs;
    await run();
  }
  if (close) {
    nowMs = startMs + (sessions.length + 1) * minuteMs;
    await run();
  }
  await store.close();
  return { runs, firstRunMs: startMs + minuteMs, lastRunMs: nowMs };
}

/**
 * Writes the snapshot rows of `sessions.length` one-minute periods of a room from startMs in one
 * set-based INSERT, shaped as archiveMinutes would archive the same minutes: sessions[i] sessions
 * (two a viewer, all visible) at the end of minute i, the peak of a minute the higher of its
 * count and the one before, joins the sessions it added; null means nobody, and the minute the
 * room empties reads 0. Snapshot rows only: for what reads history at scale (the chart), where
 * archiveMinutes would take a snapshot run, and a minute of a busy machine, per 1 000 minutes.
 * Returns the rows written.
 */
export async function seedSnapshotRows(
  database: Database,
  room: string,
  startMs: number,
  sessions: readonly (number | null)[],
): Promise<number> {
  await database.db.execute(sql`
    WITH minute AS (
      SELECT (o - 1)::int AS i, CASE jsonb_typeof(v) WHEN 'null' THEN NULL ELSE v::int END AS n
      FROM jsonb_array_elements(${JSON.stringify(sessions)}::jsonb) WITH ORDINALITY AS m(v, o)
    ), period AS (
      SELECT i, n, lag(n) OVER (ORDER BY i) AS before,
        -- a room that was empty starts its period at its first heartbeat, 10 s into the minute
        to_timestamp((${startMs}::bigint + i * ${minuteMs}
          + CASE WHEN lag(n) OVER (ORDER BY i) IS NULL THEN 10000 ELSE 0 END) / 1000.0) AS since
      FROM minute
    )
    INSERT INTO snapshots (room, period_start, period_end, sessions, viewers, visible,
      peak_sessions, peak_sessions_at, peak_viewers, peak_viewers_at, joins)
    SELECT ${room}, since, to_timestamp((${startMs}::bigint + (i + 1) * ${minuteMs}) / 1000.0),
      coalesce(n, 0), (coalesce(n, 0) + 1) / 2, coalesce(n, 0),
      greatest(coalesce(n, 0), coalesce(before, 0)), since,
      greatest((coalesce(n, 0) + 1) / 2, (coalesce(before, 0) + 1) / 2), since,
      greatest(coalesce(n, 0) - coalesce(before, 0), 0)
    FROM period WHERE n IS NOT NULL OR before IS NOT NULL`);
  // The hourly and daily answers come from the rollup tables, as the snapshot job would fill them.
  await rebuildRollups(database, [room]);
  const [written] = await database.db
    .select({ rows: count() })
    .from(snapshots)
    .where(eq(snapshots.room, room));
  return written?.rows ?? 0;
}

/**
 * Writes the activity of minutes already seeded with seedSnapshotRows (same room and startMs):
 * activity[i] is minute i's events by kind (null or {} for none), each row beside the snapshot
 * row of its minute, with that row's period, as the snapshot job writes them; then the room's
 * hourly and daily activity rollups, summed from its minute rows. A minute without a snapshot row
 * gets no activity. Returns the activity rows written.
 */
export async function seedActivityRows(
  database: Database,
  room: string,
  startMs: number,
  activity: readonly (Readonly<Record<string, number>> | null)[],
): Promise<number> {
  const rows = activity.flatMap((kinds, i) =>
    Object.entries(kinds ?? {})
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => ({ i, kind, n })),
  );
  if (rows.length > 0) {
    await database.db.execute(sql`
      WITH event AS (
        SELECT (r->>'i')::int AS i, r->>'kind' AS kind, (r->>'n')::int AS n
        FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) AS a(r)
      )
      INSERT INTO snapshot_activity (room, period_start, period_end, kind, count)
      SELECT s.room, s.period_start, s.period_end, e.kind, e.n
      FROM event e JOIN snapshots s ON s.room = ${room}
        AND s.period_end = to_timestamp((${startMs}::bigint + (e.i + 1) * ${minuteMs}) / 1000.0)`);
  }
  for (const [table, unit, column] of [
    ['snapshot_activity_hourly', 'hour', 'hour'],
    ['snapshot_activity_daily', 'day', 'day'],
  ] as const) {
    await database.db.execute(sql`DELETE FROM ${sql.raw(table)} WHERE room = ${room}`);
    await database.db.execute(sql`
      INSERT INTO ${sql.raw(table)} (room, ${sql.raw(column)}, kind, count)
      SELECT room, date_trunc(${unit}, period_start, 'UTC'), kind, sum(count)
      FROM snapshot_activity WHERE room = ${room} GROUP BY 1, 2, 3`);
  }
  const [written] = await database.db
    .select({ rows: count() })
    .from(snapshotActivity)
    .where(eq(snapshotActivity.room, room));
  return written?.rows ?? 0;
}
