// Seeds archive rows directly, for the read-side suites (history, periods, rollups, analytics).
import { readFileSync } from 'node:fs';
import type { Database } from '../../src/db/client.js';
import {
  type LivePeriodRow,
  livePeriods,
  type SnapshotEntryRow,
  type SnapshotRow,
  snapshotEntries,
  snapshots,
} from '../../src/db/schema/index.js';

export interface Minute {
  /** ISO time the one-minute period starts. */
  start: string;
  sessions: number;
  viewers?: number;
  peakSessions?: number;
  /** ISO; default: the period start. */
  peakSessionsAt?: string;
  peakViewers?: number;
  joins?: number;
  /** Period length in minutes (longer after an outage); default 1. */
  minutes?: number;
}

export function snapshotRow(room: string, m: Minute): SnapshotRow {
  const start = new Date(m.start);
  const viewers = m.viewers ?? m.sessions;
  const peakSessions = m.peakSessions ?? m.sessions;
  const peakViewers = m.peakViewers ?? viewers;
  return {
    room,
    periodStart: start,
    periodEnd: new Date(start.getTime() + (m.minutes ?? 1) * 60_000),
    sessions: m.sessions,
    viewers,
    visible: m.sessions,
    peakSessions,
    peakSessionsAt: peakSessions > 0 ? new Date(m.peakSessionsAt ?? m.start) : null,
    peakViewers,
    peakViewersAt: peakViewers > 0 ? start : null,
    joins: m.joins ?? 0,
  };
}

/** Inserts minute rows, then rebuilds the room's hourly and daily rollups from all its minute rows. */
export async function seedSnapshots(database: Database, room: string, minutes: Minute[]) {
  for (let i = 0; i < minutes.length; i += 1_000) {
    await database.db
      .insert(snapshots)
      .values(minutes.slice(i, i + 1_000).map((m) => snapshotRow(room, m)));
  }
  await rebuildRollups(database, [room]);
}

/** Inserts entry rows (their snapshot rows seeded first), then rebuilds their rooms' rollups. */
export async function seedEntries(database: Database, rows: SnapshotEntryRow[]) {
  if (rows.length === 0) return;
  await database.db.insert(snapshotEntries).values(rows);
  await rebuildRollups(database, [...new Set(rows.map((r) => r.room))]);
}

/**
 * Rebuilds the rollups of some rooms from their minute rows, with the statements the migration
 * that introduced the rollup tables fills them with (drizzle/0007_rollups_filled.sql), each
 * narrowed to these rooms: rows seeded behind the snapshot job's back get the rollups the
 * migration would give them.
 */
export async function rebuildRollups(database: Database, rooms: readonly string[]) {
  const list = rooms.map((r) => `'${r.replaceAll("'", "''")}'`).join(', ');
  const migration = readFileSync(
    new URL('../../drizzle/0007_rollups_filled.sql', import.meta.url),
    'utf8',
  );
  const inserts = migration
    .split('--> statement-breakpoint')
    .map((statement) => statement.replace(/^(\s*--.*\n)+/, '').trim())
    .filter((statement) => statement.startsWith('INSERT'));
  for (const table of rollupTables) {
    await database.query(`DELETE FROM ${table} WHERE room IN (${list})`);
  }
  for (const statement of inserts) {
    const narrowed = statement
      .replace('FROM snapshots\n', `FROM snapshots WHERE room IN (${list})\n`)
      .replace(
        'ON s.room = e.room AND s.period_end = e.period_end\n',
        `ON s.room = e.room AND s.period_end = e.period_end WHERE e.room IN (${list})\n`,
      );
    if (narrowed === statement)
      throw new Error('the rollups migration changed: update rebuildRollups');
    await database.query(narrowed);
  }
}

const rollupTables = [
  'snapshots_hourly',
  'snapshots_daily',
  'snapshot_entries_hourly',
  'snapshot_entries_daily',
];

export async function seedLivePeriods(database: Database, rows: LivePeriodRow[]) {
  if (rows.length > 0) await database.db.insert(livePeriods).values(rows);
}

/** A live period row with defaults; times as ISO strings. */
export function livePeriodRow(
  room: string,
  startedAt: string,
  endedAt: string | null,
  f: Partial<Omit<LivePeriodRow, 'room' | 'startedAt' | 'endedAt'>> = {},
): LivePeriodRow {
  return {
    room,
    startedAt: new Date(startedAt),
    endedAt: endedAt === null ? null : new Date(endedAt),
    peakSessions: 1,
    peakSessionsAt: new Date(startedAt),
    peakViewers: 1,
    peakViewersAt: new Date(startedAt),
    joins: 1,
    uniqueViewersEstimate: 1,
    ...f,
  };
}
