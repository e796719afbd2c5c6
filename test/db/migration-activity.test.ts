// An existing database keeps its archive when the activity tables arrive: a database written by
// the release before them (migrations up to 0009, rows written by the writer) is brought up to
// date at open with every row as it was, history answers as before, and the snapshot writes
// activity from then on.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReadings } from '../../src/archive/writer.js';
import { type Database, migrationsFolder, openDatabase } from '../../src/db/client.js';
import { auth, openArchiveApp } from '../support/archive-app.js';
import {
  closeTestDatabase,
  databaseKinds,
  postgresUrl,
  t,
  uniqueSchema,
} from '../support/databases.js';
import { livePeriod, reading } from '../support/readings.js';

/** The last migration before the activity tables. */
const lastBefore = '0009_webhook_event_types';

/** A migrations folder holding drizzle/ up to lastBefore, as the release before ships it. */
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
const minute = 60_000;
const start = t('2026-11-24T10:30:00.000Z');

/** Every table the release before had, whole, in a stable order. */
const tables = [
  ['snapshots', 'room, period_end'],
  ['snapshot_entries', 'room, period_end, entry'],
  ['snapshots_hourly', 'room, hour'],
  ['snapshots_daily', 'room, day'],
  ['snapshot_entries_hourly', 'room, hour, entry'],
  ['snapshot_entries_daily', 'room, day, entry'],
  ['live_periods', 'room, started_at'],
  ['room_peaks', 'room'],
];

async function everyRow(query: (text: string) => Promise<Record<string, unknown>[]>) {
  const all: Record<string, unknown> = {};
  for (const [table, order] of tables) {
    // As JSON text, so both drivers give the same values.
    all[table!] = await query(
      `SELECT row_to_json(t)::text AS row FROM ${table} t ORDER BY ${order}`,
    );
  }
  return all;
}

describe.each(databaseKinds)(
  'migrating a database of the release before activity on $kind',
  ({ kind }) => {
    const folder = migrationsBefore();
    let database: Database | undefined;
    let pglite: PGlite | undefined;
    afterAll(async () => {
      await closeTestDatabase(database);
      await pglite?.close();
      rmSync(folder, { recursive: true, force: true });
    });

    it('keeps every row and every answer, then archives activity', {
      timeout: 120_000,
    }, async () => {
      const schema = uniqueSchema('migrate');
      const journal = {
        migrationsFolder: folder,
        migrationsTable: '__drizzle_migrations',
        migrationsSchema: schema,
      };
      if (kind === 'pglite') {
        pglite = await PGlite.create('memory://');
        await pglite.exec(
          `CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"; SET TIME ZONE 'UTC'`,
        );
        await migratePglite(drizzlePglite(pglite), journal);
      } else {
        const admin = postgres(postgresUrl, { max: 1, onnotice: () => {} });
        await admin.unsafe(`CREATE SCHEMA "${schema}"`);
        await admin.end();
        const connection = { search_path: schema, TimeZone: 'UTC' };
        const client = postgres(postgresUrl, { max: 1, connection, onnotice: () => {} });
        await migratePostgres(drizzlePostgres(client), journal);
        await client.end({ timeout: 5 });
      }
      const open = (migrate: boolean) =>
        openDatabase(
          kind === 'pglite'
            ? {
                databaseUrl: null,
                dataDir: 'memory://',
                schema,
                migrate,
                ...(pglite ? { pglite } : {}),
              }
            : { databaseUrl: postgresUrl, dataDir: '', schema, migrate, maxConnections: 2 },
        );

      // The release before archives two hours of the room (no activity: it had none to archive).
      const old = await open(false);
      for (let i = 0; i < 120; i++) {
        const since = start + i * minute;
        await writeReadings(old.db, [
          reading({
            room,
            since,
            at: since + minute,
            sessions: 1 + (i % 9),
            joins: i % 3,
            joinsByEntry: i % 3 === 0 ? {} : { search: i % 3 },
            live: livePeriod({ start, peakSessions: 9, joins: i + 1 }),
          }),
        ]);
      }
      const before = await everyRow(old.query);
      expect(before.snapshots).toHaveLength(120);
      expect(before.snapshot_entries_hourly).toHaveLength(3);
      const url = `/v1/rooms/${room}/history?from=2026-11-24T10:00:00Z&to=2026-11-24T13:00:00Z`;
      const answers = async (db: Database) => {
        const app = await openArchiveApp(db);
        try {
          const bodies: string[] = [];
          for (const step of ['1m', '5m', '1h', '1d']) {
            bodies.push((await app.inject({ url: `${url}&step=${step}`, headers: auth })).body);
          }
          return bodies;
        } finally {
          await app.close();
        }
      };
      const answersBefore = await answers(old);
      await old.close();

      // The new release opens it: the remaining migrations run at open and leave every row be.
      database = await open(true);
      expect(await everyRow(database.query)).toEqual(before);
      expect(await answers(database)).toEqual(answersBefore);
      const [empty] = await database.query(
        `SELECT (SELECT count(*) FROM snapshot_activity) + (SELECT count(*) FROM snapshot_activity_hourly)
        + (SELECT count(*) FROM snapshot_activity_daily) AS n`,
      );
      expect(Number(empty?.n)).toBe(0);

      // From then on the snapshot writes activity, and history gives it; the old steps have none.
      const since = start + 120 * minute;
      await writeReadings(database.db, [
        reading({ room, since, at: since + minute, activity: { comment: 4 } }),
      ]);
      const app = await openArchiveApp(database);
      try {
        const res = await app.inject({ url: `${url}&step=1h&include=activity`, headers: auth });
        expect(
          (res.json() as { points: { at: string; activity: object }[] }).points.map((p) => [
            p.at,
            p.activity,
          ]),
        ).toEqual([
          ['2026-11-24T10:00:00.000Z', {}],
          ['2026-11-24T11:00:00.000Z', {}],
          ['2026-11-24T12:00:00.000Z', { comment: 4 }],
        ]);
      } finally {
        await app.close();
      }
    });
  },
);
