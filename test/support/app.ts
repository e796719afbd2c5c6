// The real app for route tests, on the embedded store or on Redis with a key prefix of its own.
import type { FastifyInstance } from 'fastify';
import { afterAll } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { Database } from '../../src/db/client.js';
import { openMemoryDatabase } from './pglite.js';
import { redisUrl } from './redis.js';
import { deleteRedisPrefix, testConfig, uniquePrefix } from './stores.js';

export const adminToken = 'test-admin-token-0123456789';
/** ACTIVITY_TOKEN of the tests that count a backend's activity. */
export const activityToken = 'test-activity-token-0123456789';
export const browserAgent =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

// One in-memory archive database per test file, closed after it.
let shared: Promise<Database> | null = null;
export function sharedDatabase(): Promise<Database> {
  shared ??= openMemoryDatabase();
  return shared;
}
afterAll(async () => {
  if (shared) await (await shared).close();
  shared = null;
});

export interface TestApp {
  app: FastifyInstance;
  close: () => Promise<void>;
}

/** Builds the app from an environment; with `redis: true` it runs on the test Redis. */
export async function openApp(
  env: Record<string, string | undefined> = {},
  { redis = false }: { redis?: boolean } = {},
): Promise<TestApp> {
  const prefix = env.REDIS_PREFIX ?? uniquePrefix('app');
  const config = testConfig({
    REDIS_PREFIX: prefix,
    ...(redis ? { REDIS_URL: redisUrl } : {}),
    ...env,
  });
  const app = await buildApp({ config, database: await sharedDatabase() });
  await app.ready();
  return {
    app,
    close: async () => {
      // Closing writes the room sizes the store still holds: delete the prefix after it.
      await app.close();
      if (app.config.redis) await deleteRedisPrefix(app.config.redis.urls, prefix);
    },
  };
}

/** A heartbeat as a browser sends it. */
export const heartbeat = (app: FastifyInstance, body: unknown, contentType = 'application/json') =>
  app.inject({
    method: 'POST',
    url: '/v1/heartbeat',
    headers: { 'content-type': contentType, 'user-agent': browserAgent },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });

export const countOf = async (app: FastifyInstance, room: string) =>
  (await app.inject({ url: `/v1/rooms/${encodeURIComponent(room)}/count` })).json() as {
    sessions: number;
    viewers: number;
    visible: number;
  };
