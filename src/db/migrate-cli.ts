// `npm run db:migrate`: applies the migrations in drizzle/ to DATABASE_URL (or to PGlite in
// DATA_DIR) and exits. The service also migrates at start; this is for deploy pipelines.
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from './client.js';

try {
  const config = loadConfig();
  const started = performance.now();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await database.close();
  const where = database.kind === 'pglite' ? `PGlite in ${config.dataDir}` : 'PostgreSQL';
  console.log(`migrations applied to ${where} in ${Math.round(performance.now() - started)} ms`);
} catch (err) {
  console.error(
    err instanceof ConfigError ? err.message : `migration failed: ${(err as Error).message}`,
  );
  process.exitCode = 1;
}
