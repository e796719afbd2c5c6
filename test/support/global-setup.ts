// Starts a three-node Redis Cluster for the contract suite (and stops it after the run), and
// initialises the PGlite cluster that every in-memory test database is copied from.
// Without redis-server the Cluster suite is skipped loudly, and in CI that is a failure.
import type { TestProject } from 'vitest/node';
import { writePgliteTemplate } from './pglite.js';
import { hasRedisServer, startCluster } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisClusterUrls: string[];
  }
}

export default async function setup(project: TestProject) {
  // initdb takes seconds of CPU, while starting the Cluster mostly waits: do both at once.
  const [writing, starting] = await Promise.allSettled([
    writePgliteTemplate(),
    startClusterIfPossible(),
  ]);
  if (writing.status === 'rejected' || starting.status === 'rejected') {
    if (starting.status === 'fulfilled') await starting.value?.stop();
    if (writing.status === 'fulfilled') await writing.value.remove();
    throw writing.status === 'rejected'
      ? writing.reason
      : (starting as PromiseRejectedResult).reason;
  }
  const template = writing.value;
  const cluster = starting.value;
  project.provide('pgliteTemplate', template.path);
  const inCI = process.env.CI === 'true' || process.env.CI === '1';
  if (!cluster) {
    if (inCI)
      throw new Error('redis-server is not installed: the Redis Cluster suite cannot run in CI');
    console.warn('\n!!! redis-server is not installed: the Redis Cluster suite is SKIPPED !!!\n');
    project.provide('redisClusterUrls', []);
    return template.remove;
  }
  project.provide('redisClusterUrls', cluster.urls);
  return async () => {
    await cluster.stop();
    await template.remove();
  };
}

async function startClusterIfPossible() {
  return (await hasRedisServer()) ? startCluster() : null;
}
