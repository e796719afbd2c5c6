// Opening the archive database: migrations, comments for analysts, isolation by schema, UTC.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrationsFolder, openDatabase } from '../../src/db/client.js';
import { roomPeaks } from '../../src/db/schema/index.js';
import {
  closeTestDatabase,
  databaseKinds,
  hasPostgres,
  iso,
  openTestDatabase,
  postgresUrl,
  uniqueSchema,
} from '../support/databases.js';

const tables = [
  'live_periods',
  'room_peaks',
  'room_thresholds',
  'snapshot_activity',
  'snapshot_activity_daily',
  'snapshot_activity_hourly',
  'snapshot_entries',
  'snapshot_entries_daily',
  'snapshot_entries_hourly',
  'snapshots',
  'snapshots_daily',
  'snapshots_hourly',
  'webhook_events',
];
// The hourly and daily rollups were views until they became tables; none is left.
const views: string[] = [];
/** Every migration in drizzle/, each applied once. */
const migrationCount = (
  JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
    entries: unknown[];
  }
).entries.length;

describe.each(databaseKinds)('archive database on $kind', ({ kind }) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => closeTestDatabase(database));

  it('creates every table and view in its own schema', async () => {
    const rows = await database.query(
      `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = '${database.schema}' AND table_name NOT LIKE '\\_\\_%' ORDER BY 1`,
    );
    expect(rows).toEqual(
      [
        ...tables.map((t) => ({ table_name: t, table_type: 'BASE TABLE' })),
        ...views.map((v) => ({ table_name: v, table_type: 'VIEW' })),
      ].sort((a, b) => a.table_name.localeCompare(b.table_name)),
    );
    const elsewhere = await database.query(
      `SELECT table_schema FROM information_schema.tables WHERE table_name = 'snapshots' AND table_schema = '${database.schema}'`,
    );
    expect(elsewhere).toHaveLength(1);
  });

  it('has a comment on every table, view and column', async () => {
    const missing = await database.query(`
      SELECT c.relname AS relation, a.attname AS column
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = '${database.schema}' AND c.relkind IN ('r', 'v') AND c.relname NOT LIKE '\\_\\_%'
        AND (obj_description(c.oid, 'pg_class') IS NULL OR (a.attnum IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL))`);
    expect(missing).toEqual([]);
    const [comment] = await database.query(
      `SELECT col_description('${database.schema}.snapshots'::regclass, 2) AS text`,
    );
    expect(comment?.text).toMatch(/^Start of the period/);
    // Every webhook event type is named where analysts read the outbox.
    const [types] = await database.query(
      `SELECT col_description(attrelid, attnum) AS text FROM pg_attribute
       WHERE attrelid = '${database.schema}.webhook_events'::regclass AND attname = 'type'`,
    );
    expect(types?.text).toBe(
      'room.live, room.empty, room.peak, room.threshold or room.concentrated.',
    );
  });

  it('has indexes for one room over a time range', async () => {
    const rows = await database.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = '${database.schema}' AND tablename = 'snapshots' ORDER BY 1`,
    );
    expect(rows.map((r) => r.indexdef)).toEqual([
      expect.stringMatching(/ON \S*snapshots USING brin \(period_start\)$/),
      expect.stringMatching(
        /UNIQUE INDEX snapshots_pkey ON \S*snapshots USING btree \(room, period_end\)$/,
      ),
      expect.stringMatching(
        /INDEX snapshots_room_period_start_idx ON \S*snapshots USING btree \(room, period_start\)$/,
      ),
      expect.stringMatching(
        /UNIQUE INDEX snapshots_room_period_start_key ON \S*snapshots USING btree \(room, period_start\) WHERE \(period_end > period_start\)$/,
      ),
    ]);
  });

  it('has indexes for the activity of one room over a time range, and for pruning every room', async () => {
    const rows = await database.query(
      `SELECT indexdef FROM pg_indexes WHERE schemaname = '${database.schema}' AND tablename = 'snapshot_activity' ORDER BY indexname`,
    );
    expect(rows.map((r) => r.indexdef)).toEqual([
      expect.stringMatching(/ON \S*snapshot_activity USING brin \(period_start\)$/),
      expect.stringMatching(
        /UNIQUE INDEX snapshot_activity_pkey ON \S*snapshot_activity USING btree \(room, period_end, kind\)$/,
      ),
      expect.stringMatching(
        /INDEX snapshot_activity_room_period_start_idx ON \S*snapshot_activity USING btree \(room, period_start\)$/,
      ),
    ]);
    // The activity rollups leave room on each page for the updates every snapshot makes.
    const options = await database.query(
      `SELECT relname, reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = '${database.schema}' AND relname LIKE 'snapshot\\_activity\\_%ly' ORDER BY 1`,
    );
    expect(options).toEqual([
      { relname: 'snapshot_activity_daily', reloptions: ['fillfactor=50'] },
      { relname: 'snapshot_activity_hourly', reloptions: ['fillfactor=50'] },
    ]);
  });

  it('answers ping', async () => {
    await expect(database.ping()).resolves.toBeUndefined();
  });

  it('stores times as timestamptz and reads them back as the same instant in UTC', async () => {
    const room = `utc-${uniqueSchema()}`;
    const at = new Date('2026-03-29T01:30:00.123Z');
    await database.db
      .insert(roomPeaks)
      .values({ room, peakSessions: 1, peakSessionsAt: at, peakViewers: 1, peakViewersAt: at });
    const [row] = await database.db.select().from(roomPeaks).where(eq(roomPeaks.room, room));
    expect(row?.peakSessionsAt.toISOString()).toBe('2026-03-29T01:30:00.123Z');
    const [text] = await database.query(
      `SELECT current_setting('TimeZone') AS zone, peak_sessions_at::text AS at FROM room_peaks WHERE room = '${room}'`,
    );
    expect(text).toEqual({ zone: 'UTC', at: '2026-03-29 01:30:00.123+00' });
  });
});

describe.skipIf(!hasPostgres)('archive database on PostgreSQL', () => {
  it('applies migrations once when several instances open the same schema at the same time', async () => {
    const schema = uniqueSchema();
    const open = () =>
      openDatabase({ databaseUrl: postgresUrl, dataDir: '', schema, maxConnections: 1 });
    const opened = await Promise.all([open(), open(), open()]);
    try {
      const journal = await opened[0]!.query(
        `SELECT count(*)::int AS n FROM "${schema}".__drizzle_migrations`,
      );
      expect(journal).toEqual([{ n: migrationCount }]);
      const again = await open();
      await again.close();
      expect(
        await opened[0]!.query(`SELECT count(*)::int AS n FROM "${schema}".__drizzle_migrations`),
      ).toEqual([{ n: migrationCount }]);
    } finally {
      await opened[0]!.query(`DROP SCHEMA "${schema}" CASCADE`);
      await Promise.all(opened.map((d) => d.close()));
    }
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(
      openDatabase({ databaseUrl: postgresUrl, dataDir: '', schema: 'x"; drop table y; --' }),
    ).rejects.toThrow(/schema must be/);
  });
});

describe('archive database on PGlite in a data directory', () => {
  it('keeps what was written across a close and a reopen', { timeout: 120_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'headcount-pglite-'));
    try {
      const at = new Date('2026-11-24T10:00:00Z');
      const first = await openDatabase({ databaseUrl: null, dataDir });
      await first.db.insert(roomPeaks).values({
        room: 'kept',
        peakSessions: 3,
        peakSessionsAt: at,
        peakViewers: 2,
        peakViewersAt: at,
      });
      await first.close();
      const second = await openDatabase({ databaseUrl: null, dataDir });
      try {
        const rows = await second.query(
          `SELECT room, peak_sessions, peak_sessions_at FROM room_peaks`,
        );
        expect(rows.map((r) => [r.room, r.peak_sessions, iso(r.peak_sessions_at)])).toEqual([
          ['kept', 3, '2026-11-24T10:00:00.000Z'],
        ]);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
