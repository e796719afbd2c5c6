// Builds the ioredis client (single node or Cluster) so that a Redis outage fails fast:
// no offline queue, a command timeout, and reconnection in the background.
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export interface RedisSettings {
  urls: string[];
  cluster: boolean;
  /** A command that takes longer fails (and the request gets 503), in ms. */
  timeoutMs: number;
}

export type RedisClient = Redis | Cluster;

/**
 * Commands that are sent in batches already (a tick's heartbeats, a backend's activity; one call
 * per hash slot): ioredis would auto-pipeline them by their first argument, the number of keys,
 * not by their keys' slot.
 */
const batchedCommands = ['hcHeartbeats', 'hcActivity'];

const reconnectDelayMs = (attempt: number) => Math.min(attempt * 100, 2_000);

export function createRedisClient(settings: RedisSettings): RedisClient {
  const options: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: settings.timeoutMs,
    connectTimeout: Math.max(settings.timeoutMs, 1_000),
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: batchedCommands,
    retryStrategy: reconnectDelayMs,
  };
  if (!settings.cluster) return new Redis(settings.urls[0]!, options);
  const nodes = settings.urls.map((u) => {
    const url = new URL(u);
    return { host: url.hostname, port: Number(url.port || 6379) };
  });
  const first = new URL(settings.urls[0]!);
  return new Cluster(nodes, {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: batchedCommands,
    clusterRetryStrategy: reconnectDelayMs,
    redisOptions: {
      ...options,
      username: first.username || undefined,
      password: first.password || undefined,
      tls: first.protocol === 'rediss:' ? {} : undefined,
    },
  });
}

/** Resolves once the client is ready, or rejects after timeoutMs. */
export function waitForReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}
