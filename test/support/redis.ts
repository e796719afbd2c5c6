// Which Redis the tests use, and the rule for when there is none: a loud skip on a developer's
// machine, a failure in CI (CI=true), never a silent pass.
import { Redis } from 'ioredis';
import { inject } from 'vitest';

export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const inCI = process.env.CI === 'true' || process.env.CI === '1';

async function reachable(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // the answer is the boolean below
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

const warned = new Set<string>();

/** True when the suite may run; false (with a loud warning) when it must be skipped. Throws in CI. */
export async function requireRedis(what: string, url = redisUrl): Promise<boolean> {
  if (await reachable(url)) return true;
  const message = `Redis at ${url} is not reachable: the ${what} suite is SKIPPED`;
  if (inCI) throw new Error(`${message} — in CI this is a failure`);
  if (!warned.has(what)) console.warn(`\n!!! ${message} !!!\n`);
  warned.add(what);
  return false;
}

/** Seed URLs of the three-node Cluster the global setup started, or [] when it could not. */
export const clusterUrls = (): string[] => inject('redisClusterUrls');

/**
 * A MONITOR connection to the node, once it monitors. ioredis enters monitor mode one tick after
 * MONITOR's OK, so on a Redis other tests keep busy the lines that come with that OK are taken
 * for replies to nothing ("Command queue state error"), and its monitor() rejects: those lines,
 * commands sent before the caller watches, are dropped here instead.
 */
export async function monitorOf(node: Redis): Promise<Redis> {
  const monitor = node.duplicate({ monitor: true, lazyConnect: false });
  await new Promise<void>((resolve, reject) => {
    monitor.on('error', (err: Error) => {
      if (!err.message.startsWith('Command queue state error')) reject(err);
    });
    monitor.once('monitoring', () => resolve());
  });
  return monitor;
}
