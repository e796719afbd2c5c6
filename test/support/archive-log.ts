// Helpers for the snapshot suites: a logger that keeps its lines, and a database that is gone.
import type { Logger } from '../../src/archive/snapshot.js';
import { type Database, openDatabase } from '../../src/db/client.js';
import { openMemoryDatabase } from './pglite.js';

/** A logger that keeps what was logged, so a test can check that failures are reported. */
export function memoryLog() {
  const lines: { level: string; msg: string }[] = [];
  const at =
    (level: string) =>
    (...args: unknown[]) => {
      lines.push({ level, msg: String(args.find((a) => typeof a === 'string') ?? '') });
    };
  const log: Logger = {
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
  };
  return { log, lines };
}

/** A database that does not answer: a closed PGlite, or a PostgreSQL port where nothing listens. */
export async function unreachableDatabase(kind: 'pglite' | 'postgres'): Promise<Database> {
  if (kind === 'postgres') {
    return openDatabase({
      databaseUrl: 'postgres://postgres@127.0.0.1:5449/none?connect_timeout=2',
      dataDir: '',
      migrate: false,
    });
  }
  const closed = await openMemoryDatabase({ migrate: false });
  await closed.close();
  return closed;
}
