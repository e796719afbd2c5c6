// The presence store as a Fastify decoration: Redis when REDIS_URL is set, the embedded
// in-process store otherwise. Closed with the app.
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { instrumentStore } from '../metrics/metrics.js';
import { AddressHasher } from '../presence/address-hash.js';
import { type CachedCounter, cachedCounts } from '../presence/count-cache.js';
import { MemoryPresenceStore } from '../presence/memory-store.js';
import { createRedisClient, type RedisClient, waitForReady } from '../presence/redis-client.js';
import { RedisPresenceStore } from '../presence/redis-store.js';
import type { ArchiveSource, PresenceCounter, PresenceStore } from '../presence/store.js';
import { StoreUnavailableError } from '../presence/unavailable.js';
import { DeadlineError, withTimeout } from '../timeout.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Counting, for the routes, with the per-instance count cache in front. */
    store: CachedCounter;
    /** Reading, committing and the lock, for the snapshot job. */
    archiveSource: ArchiveSource;
    /** Client addresses hashed with the day's salt, as the store keeps them. */
    addressHash: AddressHasher;
  }
}

export interface StorePluginOptions {
  config: Config;
  /** A store built by the caller (tests); it is closed with the app all the same. */
  store?: PresenceStore;
}

export default fp<StorePluginOptions>(
  async (app, { config, store }) => {
    let redis: RedisClient | null = null;
    if (!store && config.redis) {
      redis = createRedisClient(config.redis);
      // ioredis reconnects by itself; say so in the log now and then, not on every attempt.
      let lastLogged = 0;
      redis.on('error', (err: Error) => {
        if (Date.now() - lastLogged < 10_000) return;
        lastLogged = Date.now();
        app.log.warn(`Redis: ${err.message}; reconnecting`);
      });
      store = new RedisPresenceStore(
        redis,
        config.rules,
        config.redis.prefix,
        config.redis.timeoutMs,
      );
      // Start even if Redis is down: requests answer 503 and /readyz says so until it is back.
      await waitForReady(redis, 3_000).catch((err: Error) =>
        app.log.warn(`Redis is not reachable yet (${err.message}); retrying in the background`),
      );
    }
    store ??= new MemoryPresenceStore(config.rules);
    if (store.kind === 'embedded') {
      app.log.info(
        'presence store: embedded, in-process (single instance only; set REDIS_URL to share)',
      );
    } else {
      app.log.info('presence store: Redis');
    }
    // Timed at the store boundary for /metrics, whatever the store is.
    const timed = app.hasDecorator('metrics') ? instrumentStore(store, app.metrics) : store;
    const bounded = config.redis ? withDeadline(timed, config.redis.timeoutMs) : timed;
    app.decorate<CachedCounter>('store', cachedCounts(bounded, config.countCacheMs));
    app.decorate<ArchiveSource>('archiveSource', timed);
    const salts = store;
    const addressHash = new AddressHasher(
      {
        daySalt: (day) =>
          withTimeout(salts.daySalt(day), config.redis?.timeoutMs ?? 1_000, 'the presence store'),
      },
      {
        onError: (err) =>
          app.log.warn(
            { err },
            'client address salt: store unavailable; addresses go unhashed until it answers',
          ),
      },
    );
    // Without the day's salt, heartbeats count for no address (and no cap applies) until it comes.
    await addressHash.start();
    app.decorate<AddressHasher>('addressHash', addressHash);
    app.addHook('onClose', async () => {
      addressHash.stop();
      await store.close();
    });
  },
  { name: 'store' },
);

/**
 * Every call a request makes answers within timeoutMs, however many Redis commands it takes and
 * however the client queues them: each command's own timeout starts only once it is written, and
 * ioredis writes a node's next auto-pipeline only after the previous one settled, so with Redis
 * stalled a command could wait one timeout for its turn and another for its answer. Past the
 * deadline the call is an outage (503); its commands still end in the background.
 */
function withDeadline(counter: PresenceCounter, timeoutMs: number): PresenceCounter {
  const bound = <T>(work: Promise<T>): Promise<T> =>
    withTimeout(work, timeoutMs, 'the presence store').catch((err: unknown) => {
      throw err instanceof DeadlineError ? new StoreUnavailableError(err) : err;
    });
  return {
    kind: counter.kind,
    // Bounded per batch inside the Redis store: one timer for a tick's heartbeats, not one each.
    heartbeat: (hb) => counter.heartbeat(hb),
    leave: (room, session) => bound(counter.leave(room, session)),
    recordActivity: (events) => bound(counter.recordActivity(events)),
    pageActivity: (event) => bound(counter.pageActivity(event)),
    count: (room) => bound(counter.count(room)),
    counts: (rooms) => bound(counter.counts(rooms)),
    concentration: (rooms) => bound(counter.concentration(rooms)),
    listRooms: (query) => bound(counter.listRooms(query)),
    viewers: (room, query) => bound(counter.viewers(room, query)),
    onlineViewers: (room, ids) => bound(counter.onlineViewers(room, ids)),
    now: () => bound(counter.now()),
    ping: () => bound(counter.ping()),
  };
}
