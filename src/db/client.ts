// Opens the archive database: PostgreSQL through postgres-js when a URL is configured, otherwise
// embedded PostgreSQL (PGlite) in a data directory. Migrations from drizzle/ are applied at open.
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
/** The Drizzle database, whichever driver is behind it. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  readonly db: Db;
  readonly kind: 'postgres' | 'pglite';
  /** The PostgreSQL schema that holds the archive's tables. */
  readonly schema: string;
  /** Runs one statement without Drizzle (analyst SQL, tests, benchmarks); rows as the driver returns them. */
  query(text: string): Promise<Record<string, unknown>[]>;
  /** Resolves when the database answers; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres:// URL; null opens PGlite in dataDir. */
  databaseUrl: string | null;
  /** PGlite data directory; `memory://` keeps everything in memory (tests). */
  dataDir: string;
  /** Schema for the tables and the migrations journal (one per test file); default: public. */
  schema?: string;
  /** An already open PGlite to use (owned by the caller, not closed by close()). */
  pglite?: PGlite;
  /** Apply migrations at open (default true). */
  migrate?: boolean;
  /** Largest number of pooled PostgreSQL connections (default 10). */
  maxConnections?: number;
  /**
   * PostgreSQL's statement_timeout for the pool, ms: the server cancels a statement running
   * longer (a lock wait, a runaway query). Migrations are not bound by it.
   */
  statementTimeoutMs?: number;
}

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));
const MIGRATIONS_TABLE = '__drizzle_migrations';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens the database and brings its schema up to date. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  const schemaName = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schemaName)) {
    throw new Error(
      `schema must be 1-63 characters of a-z 0-9 _ (got ${JSON.stringify(schemaName)})`,
    );
  }
  return options.databaseUrl === null
    ? openPglite(options, schemaName)
    : openPostgres(options.databaseUrl, options, schemaName);
}

async function openPostgres(
  url: string,
  options: OpenOptions,
  schemaName: string,
): Promise<Database> {
  const connection = { search_path: schemaName, TimeZone: 'UTC', application_name: 'headcount' };
  if (options.migrate !== false) await migrateLocked(url, connection, schemaName);
  const client = postgres(url, {
    max: options.maxConnections ?? 10,
    // Fail fast when the server is away: the snapshot job retries next period anyway.
    connect_timeout: 10,
    connection: {
      ...connection,
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    },
    onnotice: () => {},
  });
  const db: Db = drizzlePostgres(client, { schema });
  return {
    db,
    kind: 'postgres',
    schema: schemaName,
    query: async (text) => [...(await client.unsafe<Record<string, unknown>[]>(text))],
    ping: async () => {
      await client`select 1`;
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * Several instances may start at once against one database: a session advisory lock on a
 * connection of its own makes them migrate one after the other.
 */
async function migrateLocked(
  url: string,
  connection: Record<string, string>,
  schemaName: string,
): Promise<void> {
  const client = postgres(url, { max: 1, connection, onnotice: () => {} });
  try {
    const lockKey = `headcount:migrate:${schemaName}`;
    await client`select pg_advisory_lock(hashtext(${lockKey}))`;
    await migratePostgres(drizzlePostgres(client), migrationOptions(schemaName));
    await client`select pg_advisory_unlock(hashtext(${lockKey}))`;
  } finally {
    await client.end({ timeout: 5 });
  }
}

async function openPglite(options: OpenOptions, schemaName: string): Promise<Database> {
  const owned = options.pglite === undefined;
  const client = options.pglite ?? (await PGlite.create(options.dataDir));
  try {
    // PGlite has one connection, so session settings hold for every later query.
    await client.exec(
      `CREATE SCHEMA IF NOT EXISTS "${schemaName}"; SET search_path TO "${schemaName}"; SET TIME ZONE 'UTC'`,
    );
    const pgliteDb = drizzlePglite(client, { schema });
    if (options.migrate !== false) await migratePglite(pgliteDb, migrationOptions(schemaName));
    const db: Db = pgliteDb;
    return {
      db,
      kind: 'pglite',
      schema: schemaName,
      query: async (text) => (await client.query<Record<string, unknown>>(text)).rows,
      ping: async () => {
        await db.execute(sql`select 1`);
      },
      close: async () => {
        if (owned && !client.closed) await client.close();
      },
    };
  } catch (err) {
    if (owned) await client.close();
    throw err;
  }
}

function migrationOptions(schemaName: string) {
  return {
    migrationsFolder,
    migrationsTable: MIGRATIONS_TABLE,
    // The journal sits beside the tables, so dropping a schema drops everything of it.
    migrationsSchema: schemaName === 'public' ? 'drizzle' : schemaName,
  };
}
