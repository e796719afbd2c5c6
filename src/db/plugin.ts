// The archive database as a Fastify decoration (`app.db`), opened and migrated at start and
// closed with the app.
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import type {} from '../readiness.js';
import { withTimeout } from '../timeout.js';
import { type Database, openDatabase } from './client.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
  }
}

export interface DbPluginOptions {
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'databaseTimeoutMs'>;
  /** A database opened by the caller (tests share one per file); it is not closed with the app. */
  database?: Database;
}

export default fp<DbPluginOptions>(
  async (app, { config, database }) => {
    const db =
      database ??
      (await openDatabase({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        statementTimeoutMs: config.databaseTimeoutMs,
      }));
    if (!database) {
      app.log.info(
        db.kind === 'pglite'
          ? `archive database: embedded PostgreSQL (PGlite) in ${config.dataDir} (set DATABASE_URL to use a server)`
          : 'archive database: PostgreSQL',
      );
      app.addHook('onClose', async () => db.close());
    }
    app.decorate('db', db);
    // /readyz asks the database too, when the app keeps readiness checks.
    if (app.hasDecorator('readinessChecks')) {
      // Bounded: a database that hangs (not only one that refuses) makes /readyz say 503.
      app.readinessChecks.push({
        name: 'database',
        check: () => withTimeout(db.ping(), config.databaseTimeoutMs, 'the database'),
      });
    }
  },
  { name: 'db' },
);
