// Builds each kind of presence store for a test, with its own key prefix, and cleans up after.
import { randomBytes } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { type Config, loadConfig } from '../../src/config.js';
import { MemoryPresenceStore } from '../../src/presence/memory-store.js';
import {
  createRedisClient,
  type RedisClient,
  waitForReady,
} from '../../src/presence/redis-client.js';
import { RedisPresenceStore } from '../../src/presence/redis-store.js';
import type { PresenceRules, PresenceStore } from '../../src/presence/store.js';
import { clusterUrls, redisUrl, requireRedis } from './redis.js';

export type StoreKind = 'embedded' | 'redis' | 'cluster';
export const storeKinds: StoreKind[] = ['embedded', 'redis', 'cluster'];

export const uniquePrefix = (label = 't') => `hct${label}${randomBytes(5).toString('hex')}`;

/** Short timings so that expiry can be watched in a test: visible 1 s, hidden 2 s, grace 0.3 s. */
export const fastRules: PresenceRules = {
  visibleTtlMs: 1_000,
  hiddenTtlMs: 2_000,
  leaveGraceMs: 300,
  visibleIntervalMs: 600,
  hiddenIntervalMs: 1_500,
};

/** A validated configuration, as the environment would give it, for tests. */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    ADMIN_TOKEN: 'test-admin-token-0123456789',
    RATE_LIMIT_MAX: '100000',
    SNAPSHOT_ENABLED: 'false',
    // Counts read the store every time: tests check each count against what was just sent.
    // test/routes/count-cache.happy.test.ts checks the cache itself.
    COUNT_CACHE_MS: '0',
    // No load shedding and no stretched intervals: the event-loop delay of a test's process is the
    // machine's load (other test files, other work), not the service's.
    // test/faults/overload.test.ts checks both.
    SHED_EVENT_LOOP_DELAY_MS: '0',
    STRETCH_EVENT_LOOP_DELAY_MS: '0',
    LOG_LEVEL: 'silent',
    // Never the developer's ./data: an in-memory embedded database unless a test says otherwise.
    DATA_DIR: 'memory://',
    // Fixtures have fixed dates: they must not age out of the archive as the calendar moves on.
    // test/archive/retention.test.ts checks retention and its defaults.
    RETAIN_MINUTES_DAYS: '0',
    RETAIN_HOURS_DAYS: '0',
    RETAIN_LIVE_PERIODS_DAYS: '0',
    ...env,
  });
}

/** Every key matching the pattern, on every master of a Cluster. */
export async function keysOf(client: RedisClient, pattern: string): Promise<string[]> {
  const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
  }
  return keys;
}

/** Deletes every key under the prefix, on every master of a Cluster. */
export async function deletePrefix(client: RedisClient, prefix: string): Promise<void> {
  for (const key of await keysOf(client, `${prefix}:*`)) await client.del(key);
}

/** Deletes every key under the prefix through a client of its own (the app keeps its client). */
export async function deleteRedisPrefix(urls: string[], prefix: string): Promise<void> {
  const client = createRedisClient({ urls, cluster: urls.length > 1, timeoutMs: 2_000 });
  client.on('error', () => undefined);
  try {
    await waitForReady(client, 5_000);
    await deletePrefix(client, prefix);
  } catch {
    // Redis went away (a fault test): nothing left to clean.
  } finally {
    client.disconnect();
  }
}

export interface TestStore {
  store: PresenceStore;
  prefix: string;
  /** The Redis client behind the store, null when embedded. */
  client: RedisClient | null;
  cleanup: () => Promise<void>;
}

/** Null when the kind cannot run here (skipped loudly; a failure in CI). */
export async function openStore(
  kind: StoreKind,
  rules = fastRules,
  /** The embedded store's clock (the others run on Redis time). */
  clock: () => number = Date.now,
): Promise<TestStore | null> {
  const prefix = uniquePrefix(kind[0]);
  if (kind === 'embedded') {
    const store = new MemoryPresenceStore(rules, clock);
    return { store, prefix, client: null, cleanup: () => store.close() };
  }
  const urls = kind === 'redis' ? [redisUrl] : clusterUrls();
  if (urls.length === 0 || !(await requireRedis(kind, urls[0]))) return null;
  const client = createRedisClient({ urls, cluster: kind === 'cluster', timeoutMs: 2_000 });
  client.on('error', () => undefined); // reconnects by itself; a failing test says what broke
  await waitForReady(client, 10_000);
  const store = new RedisPresenceStore(client, rules, prefix);
  return {
    store,
    prefix,
    client,
    cleanup: async () => {
      // Closing writes the room sizes the store still holds: delete the prefix after it.
      await store.close();
      await deleteRedisPrefix(urls, prefix);
    },
  };
}
