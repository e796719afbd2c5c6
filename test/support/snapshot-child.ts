// One snapshot run in a process of its own, for the fault suite to kill in the middle of it.
// Environment: REDIS_URL, REDIS_PREFIX, DATABASE_URL, SCHEMA, LOCK_TTL_MS.
import { runSnapshot } from '../../src/archive/snapshot.js';
import { openDatabase } from '../../src/db/client.js';
import { createRedisClient, waitForReady } from '../../src/presence/redis-client.js';
import { RedisPresenceStore } from '../../src/presence/redis-store.js';
import { fastRules } from './stores.js';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const client = createRedisClient({ urls: [env('REDIS_URL')], cluster: false, timeoutMs: 2_000 });
await waitForReady(client, 10_000);
const store = new RedisPresenceStore(client, fastRules, env('REDIS_PREFIX'));
const database = await openDatabase({
  databaseUrl: env('DATABASE_URL'),
  dataDir: '',
  schema: env('SCHEMA'),
  migrate: false,
});
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const run = await runSnapshot({
  store,
  db: database.db,
  log: silent,
  lockTtlMs: Number(env('LOCK_TTL_MS')),
  writeTimeoutMs: 60_000,
});
process.stdout.write(`${JSON.stringify(run)}\n`);
process.exit(0);
