// In-memory PGlite for the tests, quickly: creating one runs initdb (about 2 s of CPU), so the
// global setup runs it once, with the migrations, and every test file's PGlite starts from a copy
// of that cluster (a quarter of the time). A test database in `public` (the service's own schema)
// is then at the current schema already: opening it checks the migrations and applies none. The
// migrations themselves run once per test run here, and on empty schemas in db/client.test.ts and
// the other PostgreSQL suites.
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { inject } from 'vitest';
import { type Database, type OpenOptions, openDatabase } from '../../src/db/client.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A tarball of a freshly initialised, empty PGlite cluster; '' when there is none. */
    pgliteTemplate: string;
  }
}

/** For the global setup: writes the template and returns its path and how to remove it. */
export async function writePgliteTemplate(): Promise<{
  path: string;
  remove: () => Promise<void>;
}> {
  const pglite = await PGlite.create('memory://');
  // Migrated too: a test database starts at the current schema in `public`, as the service's own.
  await (await openDatabase({ databaseUrl: null, dataDir: '', pglite })).close();
  const tarball = await pglite.dumpDataDir('none');
  await pglite.close();
  const path = join(tmpdir(), `headcount-pglite-${randomBytes(6).toString('hex')}.tar`);
  await writeFile(path, Buffer.from(await tarball.arrayBuffer()));
  return { path, remove: () => rm(path, { force: true }) };
}

let template: Promise<Blob | null> | undefined;

/**
 * Shared buffers of 16 MB instead of PGlite's 128 MB: a test database holds a few megabytes, and
 * PostgreSQL clears its buffers at every start (half of a start's CPU at 128 MB).
 */
const startParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/** A new in-memory PGlite: from the template (migrated in `public`) when the global setup made one. */
export async function newPglite(): Promise<PGlite> {
  template ??= (async () => {
    const path = inject('pgliteTemplate');
    return path ? new Blob([await readFile(path)]) : null;
  })();
  const tarball = await template;
  return tarball
    ? PGlite.create({ loadDataDir: tarball, startParams })
    : PGlite.create({ dataDir: 'memory://', startParams });
}

/** openDatabase on a new in-memory PGlite, which its close() closes too. */
export async function openMemoryDatabase(
  options: Omit<OpenOptions, 'databaseUrl' | 'dataDir' | 'pglite'> = {},
): Promise<Database> {
  const pglite = await newPglite();
  try {
    const database = await openDatabase({ ...options, databaseUrl: null, dataDir: '', pglite });
    return {
      ...database,
      close: async () => {
        await database.close();
        if (!pglite.closed) await pglite.close();
      },
    };
  } catch (err) {
    await pglite.close();
    throw err;
  }
}
