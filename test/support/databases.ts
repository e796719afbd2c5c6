// The archive suites run on both databases: embedded PGlite (in memory, one instance per test
// file) and a real PostgreSQL server (a fresh schema per test file, dropped at the end).
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type Database, openDatabase } from '../../src/db/client.js';
import { openMemoryDatabase } from './pglite.js';

export const postgresUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => undefined });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Whether the PostgreSQL suites can run: without a server they are skipped loudly on a
 * developer's machine (PGlite still runs), and in CI (CI=true) that is a failure.
 */
export const hasPostgres = await reachable(postgresUrl);
if (!hasPostgres) {
  const message = `PostgreSQL at ${postgresUrl} is not reachable (set TEST_DATABASE_URL)`;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`${message}: the PostgreSQL suites cannot run in CI`);
  }
  console.warn(`\n!!! ${message}: the PostgreSQL suites are SKIPPED !!!\n`);
}

export type DatabaseKind = 'pglite' | 'postgres';
export const databaseKinds: { kind: DatabaseKind }[] = hasPostgres
  ? [{ kind: 'pglite' }, { kind: 'postgres' }]
  : [{ kind: 'pglite' }];

/** A schema name no other test file uses. */
export const uniqueSchema = (label = 't') => `${label}_${randomBytes(6).toString('hex')}`;

/**
 * Opens a fresh, migrated archive database of the given kind: on PGlite a database of its own in
 * `public` (migrated already, see pglite.ts) unless a schema is named, on PostgreSQL a new schema.
 */
export function openTestDatabase(kind: DatabaseKind, schema?: string): Promise<Database> {
  return kind === 'pglite'
    ? openMemoryDatabase(schema === undefined ? {} : { schema })
    : openDatabase({
        databaseUrl: postgresUrl,
        dataDir: '',
        schema: schema ?? uniqueSchema(),
        maxConnections: 4,
      });
}

/**
 * The same archive as another instance sees it: a connection pool of its own on the same schema
 * (PostgreSQL), or the same database (PGlite has one connection). Close it with
 * closeSecondInstance.
 */
export async function secondInstance(database: Database): Promise<Database> {
  return database.kind === 'postgres'
    ? openDatabase({
        databaseUrl: postgresUrl,
        dataDir: '',
        schema: database.schema,
        migrate: false,
        maxConnections: 2,
      })
    : database;
}

/** Closes what secondInstance opened, and nothing it shared. */
export async function closeSecondInstance(other: Database, database: Database): Promise<void> {
  if (other !== database) await other.close();
}

/** Drops what the test database created and closes it. */
export async function closeTestDatabase(database: Database | undefined): Promise<void> {
  if (!database) return;
  if (database.kind === 'postgres')
    await database.query(`DROP SCHEMA "${database.schema}" CASCADE`);
  await database.close();
}

/** Epoch ms of an ISO time, for readable fixtures. */
export const t = (iso: string) => Date.parse(iso);

/** Timestamps come back as Date (PGlite) or text (postgres-js without Drizzle): both as ISO. */
export const iso = (value: unknown): string | null =>
  value === null || value === undefined ? null : new Date(value as string | Date).toISOString();
