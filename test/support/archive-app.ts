// The real app on a test database (shared by one test file) and the embedded store, for the
// history and periods routes.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { Database } from '../../src/db/client.js';
import dbPlugin from '../../src/db/plugin.js';
import { adminToken } from './app.js';
import { testConfig } from './stores.js';

export { adminToken };
export const auth = { authorization: `Bearer ${adminToken}` };

/** Builds the app on the given database; closing the app leaves the database open. */
export async function openArchiveApp(database: Database): Promise<FastifyInstance> {
  const config = testConfig();
  const options = { config, database };
  const app = await buildApp(options);
  if (!app.hasDecorator('db')) await app.register(dbPlugin, { config, database });
  await app.ready();
  return app;
}
