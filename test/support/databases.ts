// The archive suites run on both databases: embedded PGlite (in memory, one instance per test
// file) and a real PostgreSQL server (a fresh schema per test file, dropped at the end).
import { randomBytes } from 'node:crypto';
import { type Database, openDatabase } from '../../src/db/client.js';

export const postgresUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type DatabaseKind = 'pglite' | 'postgres';
export const databaseKinds: { kind: DatabaseKind }[] = [{ kind: 'pglite' }, { kind: 'postgres' }];

/** A schema name no other test file uses. */
export const uniqueSchema = (label = 't') => `${label}_${randomBytes(6).toString('hex')}`;

/** Opens a fresh, migrated archive database of the given kind. */
export function openTestDatabase(kind: DatabaseKind, schema = uniqueSchema()): Promise<Database> {
  return openDatabase(
    kind === 'pglite'
      ? { databaseUrl: null, dataDir: 'memory://', schema }
      : { databaseUrl: postgresUrl, dataDir: '', schema, maxConnections: 4 },
  );
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
