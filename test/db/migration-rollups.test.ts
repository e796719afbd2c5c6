// An existing database keeps its history: a database written by the schema before the rollup
// tables (migrations up to 0004, minute rows and their entries, the rollups as views) is brought
// up to date, and its hourly and daily rollups, the history route and joins by entry answer as
// the views did.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { readJoinsByEntry } from '../../src/archive/entries.js';
import { type Database, migrationsFolder, openDatabase } from '../../src/db/client.js';
import { auth, openArchiveApp } from '../support/archive-app.js';
import {
  closeTestDatabase,
  databaseKinds,
  postgresUrl,
  uniqueSchema,
} from '../support/databases.js';
import { newPglite } from '../support/pglite.js';

/** The last migration before the rollup tables. */
const lastBefore = '0004_webhook_comments';

/** A migrations folder holding drizzle/ up to lastBefore, as today's release ships it. */
function migrationsBefore(): string {
  const dir = mkdtempSync(join(tmpdir(), 'headcount-migrations-'));
  cpSync(migrationsFolder, dir, { recursive: true });
  const journalPath = join(dir, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const last = journal.entries.findIndex((e) => e.tag === lastBefore);
  expect(last).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, last + 1);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

const room = 'launch-stream';

/**
 * Four days of minute rows with moving counts and peaks (two reaching the same peak: the first
 * stays), an outage row covering 30 minutes, a room emptying for an hour, and joins by entry.
 */
const writeToday = [
  `INSERT INTO snapshots (room, period_start, period_end, sessions, viewers, visible,
     peak_sessions, peak_sessions_at, peak_viewers, peak_viewers_at, joins)
   SELECT '${room}', t, t + interval '1 minute', s, greatest(1, s - 2), s, s + (m % 3),
     t + interval '11 seconds', greatest(1, s - 2), t + interval '5 seconds', m % 3
   FROM generate_series(timestamptz '2026-11-20 22:00:00+00', timestamptz '2026-11-24 21:59:00+00',
     interval '1 minute') AS t,
     LATERAL (SELECT (extract(epoch FROM t) / 60)::bigint AS m) AS minute,
     LATERAL (SELECT (5 + (m % 1440) / 30 + (m % 11))::int AS s) AS count
   WHERE t < timestamptz '2026-11-22 10:00:00+00' OR t >= timestamptz '2026-11-22 11:00:00+00'`,
  `INSERT INTO snapshots (room, period_start, period_end, sessions, viewers, visible,
     peak_sessions, peak_sessions_at, peak_viewers, peak_viewers_at, joins)
   VALUES ('${room}', '2026-11-24 22:00:00+00', '2026-11-24 22:30:00+00', 3, 3, 3, 900,
     '2026-11-24 22:10:00+00', 800, '2026-11-24 22:10:00+00', 40)`,
  `INSERT INTO snapshot_entries (room, period_end, entry, joins)
   SELECT room, period_end, CASE WHEN joins = 1 THEN 'search' ELSE 'newsletter' END, joins
   FROM snapshots WHERE room = '${room}' AND joins > 0`,
];

const rollupColumns = `room, snapshots, sessions_avg, sessions_last, viewers_avg, viewers_last,
  peak_sessions, peak_sessions_at, peak_viewers, peak_viewers_at, joins::bigint AS joins`;

/** The rollups as analysts read them, the same SQL before (views) and after (tables). */
async function rollups(query: (text: string) => Promise<Record<string, unknown>[]>) {
  // Values as plain JSON whichever driver read them (postgres-js without Drizzle gives text).
  const value = (v: unknown) => {
    if (v instanceof Date) return v.toISOString();
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}[ T]\d{2}:/.test(v)) {
      return new Date(v).toISOString();
    }
    if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
    return v;
  };
  const plain = (rows: Record<string, unknown>[]) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, value(v)])));
  return {
    hourly: plain(
      await query(
        `SELECT hour, ${rollupColumns} FROM snapshots_hourly WHERE room = '${room}' ORDER BY hour`,
      ),
    ),
    daily: plain(
      await query(
        `SELECT day, ${rollupColumns} FROM snapshots_daily WHERE room = '${room}' ORDER BY day`,
      ),
    ),
  };
}

describe.each(databaseKinds)('migrating a database of today’s schema on $kind', ({ kind }) => {
  const folder = migrationsBefore();
  let database: Database | undefined;
  let pglite: PGlite | undefined;
  afterAll(async () => {
    await closeTestDatabase(database);
    await pglite?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('keeps every hourly and daily rollup, the history and the joins by entry', async () => {
    const schema = uniqueSchema('migrate');
    const journal = {
      migrationsFolder: folder,
      migrationsTable: '__drizzle_migrations',
      migrationsSchema: schema,
    };
    let query: (text: string) => Promise<Record<string, unknown>[]>;
    let closeOld: () => Promise<void>;
    if (kind === 'pglite') {
      pglite = await newPglite();
      await pglite.exec(
        `CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"; SET TIME ZONE 'UTC'`,
      );
      await migratePglite(drizzlePglite(pglite), journal);
      const client = pglite;
      query = async (text) => (await client.query<Record<string, unknown>>(text)).rows;
      closeOld = async () => {};
    } else {
      const connection = { search_path: schema, TimeZone: 'UTC' };
      const admin = postgres(postgresUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`CREATE SCHEMA "${schema}"`);
      await admin.end();
      const client = postgres(postgresUrl, { max: 1, connection, onnotice: () => {} });
      await migratePostgres(drizzlePostgres(client), journal);
      query = async (text) => [...(await client.unsafe<Record<string, unknown>[]>(text))];
      closeOld = () => client.end({ timeout: 5 });
    }
    for (const statement of writeToday) await query(statement);
    const views = await query(
      `SELECT table_name FROM information_schema.views WHERE table_schema = '${schema}' ORDER BY 1`,
    );
    expect(views.map((v) => v.table_name)).toEqual(['snapshots_daily', 'snapshots_hourly']);
    const before = await rollups(query);
    expect(before.hourly.length).toBe(4 * 24 - 1 + 1);
    expect(before.daily.length).toBe(5);
    await closeOld();

    // Today's database, opened by the new release: the remaining migrations run at open.
    database = await openDatabase(
      kind === 'pglite'
        ? { databaseUrl: null, dataDir: 'memory://', schema, ...(pglite ? { pglite } : {}) }
        : { databaseUrl: postgresUrl, dataDir: '', schema, maxConnections: 2 },
    );
    const after = await rollups(database.query);
    expect(after).toEqual(before);
    const [minutes] = await database.query(`SELECT count(*)::int AS n FROM snapshots`);
    expect(minutes?.n).toBe(4 * 1440 - 60 + 1);

    // The history route answers from the rollup tables what the views said.
    const app = await openArchiveApp(database);
    try {
      for (const [step, rows, at] of [
        ['1h', before.hourly, 'hour'],
        ['1d', before.daily, 'day'],
      ] as const) {
        const res = await app.inject({
          url: `/v1/rooms/${room}/history?from=2026-11-20T00:00:00Z&to=2026-11-25T00:00:00Z&step=${step}`,
          headers: auth,
        });
        expect(res.statusCode).toBe(200);
        const points = (res.json() as { points: Record<string, unknown>[] }).points;
        const round3 = (n: unknown) => Math.round(Number(n) * 1000) / 1000;
        expect(points).toEqual(
          rows.map((r) => ({
            at: r[at],
            sessions_avg: round3(r.sessions_avg),
            sessions_last: r.sessions_last,
            viewers_avg: round3(r.viewers_avg),
            viewers_last: r.viewers_last,
            peak_sessions: r.peak_sessions,
            peak_sessions_at: r.peak_sessions_at,
            peak_viewers: r.peak_viewers,
            joins: r.joins,
          })),
        );
      }
    } finally {
      await app.close();
    }
    // The joins by entry moved into the entry rollups whole.
    const entries = await database.query(
      `SELECT entry, sum(joins)::int AS joins FROM snapshot_entries_daily WHERE room = '${room}' GROUP BY 1 ORDER BY 1`,
    );
    const fromMinutes = await readJoinsByEntry(database.db, {
      room,
      from: new Date('2026-11-20T00:00:00Z'),
      to: new Date('2026-11-26T00:00:00Z'),
      limit: 10,
    });
    expect(entries).toEqual([...fromMinutes].sort((a, b) => a.entry.localeCompare(b.entry)));
  });
});
