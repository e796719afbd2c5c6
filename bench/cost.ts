// What a heartbeat and a count cost, side by side in one run: the bare Fastify route (parse and
// answer, no store), the naive Redis peer (bench/naive-server.ts), and Headcount at its shipped
// defaults on a single Redis and on a three-master Redis Cluster (per-address limit on, metrics
// on, the archive job running against PostgreSQL; pages behind one trusted proxy, each on its own
// client address). For every row: requests a second, and CPU µs per request of the process that
// answered and of Redis (all three masters summed on Cluster), as ratios to the bare route.
//   npm run build && npx tsx bench/cost.ts   (npm run bench runs it as its first part)
//   BENCH_DURATION_S=5 per run, BENCH_REPEATS=3 runs per row (medians), BENCH_CONNECTIONS=64,
//   BENCH_TARGETS=redis,cluster to run only some targets' rows (beside the bare route's)
import type { ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { AddressHasher } from '../src/presence/address-hash.js';
import { createRedisClient, waitForReady } from '../src/presence/redis-client.js';
import { RedisPresenceStore } from '../src/presence/redis-store.js';
import type { Heartbeat } from '../src/presence/store.js';
import { RedisServer, startCluster } from '../test/support/redis-server.js';
import { type Measured, measured, median, run, start, waitForHttp, wrk } from './measure.js';
import { longTtlRules } from './rules.js';

export interface CostOptions {
  durationS: number;
  repeats: number;
  connections: number;
  /** A PostgreSQL server URL without a database: the bench makes its own databases there. */
  postgres: string;
}

/** Sessions online before the refresh rows run (bench/refresh.lua beats them in turn). */
const pool = 300_000;
/** Sessions of the counted room. */
const countRoomSessions = 100;
const ports = { single: 16385, hc: 18180, bare: 18181, naive: 18182, hcCluster: 18183 };
const prefix = 'hc';

export type Row = 'join' | 'refresh' | 'count' | 'counts' | 'badge';
export type Target = 'bare' | 'naive' | 'redis' | 'cluster';

export interface CostResult {
  /** Medians per target and row. */
  rows: Partial<Record<Target, Partial<Record<Row, Measured>>>>;
  options: CostOptions;
}

/** The client address bench/refresh.lua sends for session s<i>. */
const addressOf = (i: number) =>
  `10.${Math.floor(i / 65_536) % 256}.${Math.floor(i / 256) % 256}.${i % 256}`;

/**
 * The sessions bench/refresh.lua beats: s<i> with viewer v<i> in room r<i % 1000>, each from its
 * own address hashed as the service hashes it, so that a refresh finds its session's address
 * unchanged, as a page's does.
 */
const poolBeats = (hash: (address: string) => string | undefined): Heartbeat[] =>
  Array.from({ length: pool }, (_, i) => {
    const id = String(i).padStart(8, '0');
    const address = hash(addressOf(i));
    return { room: `r${i % 1000}`, session: `s${id}`, viewer: `v${id}`, state: 'visible', address };
  });

const countBeats = (): Heartbeat[] =>
  Array.from({ length: countRoomSessions }, (_, i) => {
    const id = `c${String(i).padStart(8, '0')}`;
    return { room: 'c', session: id, viewer: id, state: 'visible' };
  });

async function beatAll(store: RedisPresenceStore, beats: Heartbeat[]) {
  for (let i = 0; i < beats.length; i += 5_000) {
    await Promise.all(beats.slice(i, i + 5_000).map((hb) => store.heartbeat(hb)));
  }
}

/** The naive peer's sessions, written straight into Redis as its heartbeats would. */
async function loadNaive(url: string, beats: Heartbeat[]) {
  const redis = new Redis(url);
  for (let i = 0; i < beats.length; i += 10_000) {
    const pipeline = redis.pipeline();
    for (const hb of beats.slice(i, i + 10_000)) {
      pipeline.set(`naive:s:${hb.session}`, hb.viewer ?? hb.session, 'EX', 3600);
      pipeline.sadd(`naive:r:${hb.room}`, hb.session);
    }
    await pipeline.exec();
  }
  redis.disconnect();
}

async function loadHeadcount(urls: string[], cluster: boolean) {
  const client = createRedisClient({ urls, cluster, timeoutMs: 10_000 });
  await waitForReady(client, 10_000);
  const store = new RedisPresenceStore(client, longTtlRules, prefix, 10_000);
  // The day's salt is the service's: both take it from the store.
  const hasher = new AddressHasher(store);
  await hasher.refresh();
  await beatAll(
    store,
    poolBeats((address) => hasher.hash(address)),
  );
  await beatAll(store, countBeats());
  await store.close();
}

async function freshDatabase(postgres: string, name: string) {
  await run('psql', [postgres, '-qc', `DROP DATABASE IF EXISTS ${name}`]);
  await run('psql', [postgres, '-qc', `CREATE DATABASE ${name}`]);
  return `${postgres}/${name}`;
}

/** Headcount as deployed: default log level, limits and snapshots; long ttls only. */
const headcountEnv = (redisUrl: string, databaseUrl: string, port: number, cluster: boolean) => ({
  REDIS_URL: redisUrl,
  REDIS_CLUSTER: String(cluster),
  DATABASE_URL: databaseUrl,
  ADMIN_TOKEN: 'bench-admin-token-0123456789',
  TRUST_PROXY: '1',
  VISIBLE_TTL_S: '3600',
  HIDDEN_TTL_S: '3600',
  PORT: String(port),
});

export async function costBench(options: CostOptions): Promise<CostResult> {
  const single = new RedisServer(ports.single);
  const children: ChildProcess[] = [];
  await single.start();
  const cluster = await startCluster();
  const clusterPorts = cluster.urls.map((u) => Number(new URL(u).port));
  try {
    const [db1, db2] = [
      await freshDatabase(options.postgres, 'headcount_bench'),
      await freshDatabase(options.postgres, 'headcount_bench_cluster'),
    ];
    const service = (port: number) => `http://127.0.0.1:${port}`;
    const hc = start('node', ['dist/server.js'], headcountEnv(single.url, db1, ports.hc, false));
    const hcCluster = start(
      'node',
      ['dist/server.js'],
      headcountEnv(cluster.urls.join(','), db2, ports.hcCluster, true),
    );
    const bare = start(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], {
      PORT: String(ports.bare),
    });
    const naive = start(process.execPath, ['--import', 'tsx', 'bench/naive-server.ts'], {
      PORT: String(ports.naive),
      REDIS_URL: single.url,
    });
    children.push(hc, hcCluster, bare, naive);
    const targets: Record<Target, { pid?: number; url: string; redis: number[] }> = {
      bare: { pid: bare.pid, url: service(ports.bare), redis: [] },
      naive: { pid: naive.pid, url: service(ports.naive), redis: [ports.single] },
      redis: { pid: hc.pid, url: service(ports.hc), redis: [ports.single] },
      cluster: { pid: hcCluster.pid, url: service(ports.hcCluster), redis: clusterPorts },
    };
    for (const t of Object.values(targets)) await waitForHttp(`${t.url}/v1/rooms/x/count`);

    await Promise.all([
      loadHeadcount([single.url], false),
      loadHeadcount(cluster.urls, true),
      loadNaive(single.url, [...poolBeats(() => undefined), ...countBeats()]),
    ]);
    const wrkOptions = { durationS: options.durationS, connections: options.connections };
    // Warm every process up (JIT, connections, script cache).
    for (const t of Object.values(targets)) {
      await wrk(`${t.url}/v1/heartbeat`, 'bench/heartbeat.lua', wrkOptions);
      await wrk(`${t.url}/v1/rooms/c/count`, 'bench/count.lua', wrkOptions);
    }

    const runs: { target: Target; row: Row; path: string; script: string }[] = [
      { target: 'bare', row: 'join', path: '/v1/heartbeat', script: 'bench/heartbeat.lua' },
      { target: 'naive', row: 'join', path: '/v1/heartbeat', script: 'bench/heartbeat.lua' },
      { target: 'naive', row: 'refresh', path: '/v1/heartbeat', script: 'bench/refresh.lua' },
      { target: 'redis', row: 'join', path: '/v1/heartbeat', script: 'bench/heartbeat.lua' },
      { target: 'redis', row: 'refresh', path: '/v1/heartbeat', script: 'bench/refresh.lua' },
      { target: 'cluster', row: 'join', path: '/v1/heartbeat', script: 'bench/heartbeat.lua' },
      { target: 'cluster', row: 'refresh', path: '/v1/heartbeat', script: 'bench/refresh.lua' },
      { target: 'bare', row: 'count', path: '/v1/rooms/c/count', script: 'bench/count.lua' },
      { target: 'naive', row: 'count', path: '/v1/rooms/c/count', script: 'bench/count.lua' },
      { target: 'redis', row: 'count', path: '/v1/rooms/c/count', script: 'bench/count.lua' },
      { target: 'redis', row: 'counts', path: '/v1/counts?rooms=c', script: 'bench/count.lua' },
      { target: 'redis', row: 'badge', path: '/v1/rooms/c/badge.svg', script: 'bench/count.lua' },
      { target: 'cluster', row: 'count', path: '/v1/rooms/c/count', script: 'bench/count.lua' },
    ];
    // BENCH_TARGETS=cluster,redis runs those targets' rows only (and the bare route's).
    const only = process.env.BENCH_TARGETS?.split(',');
    const chosen = runs.filter((r) => !only || r.target === 'bare' || only.includes(r.target));
    const samples = new Map<string, Measured[]>();
    for (let r = 0; r < options.repeats; r++) {
      for (const { target, row, path, script } of chosen) {
        const t = targets[target];
        const m = await measured(t.pid, t.redis, `${t.url}${path}`, script, {
          ...wrkOptions,
          env: { BENCH_POOL: String(pool) },
        });
        const key = `${target} ${row}`;
        samples.set(key, [...(samples.get(key) ?? []), m]);
      }
    }
    const rows: CostResult['rows'] = {};
    for (const { target, row } of chosen) {
      const ms = samples.get(`${target} ${row}`)!;
      rows[target] ??= {};
      rows[target][row] = {
        rps: median(ms.map((m) => m.rps)),
        requests: median(ms.map((m) => m.requests)),
        cpuUs: median(ms.map((m) => m.cpuUs)),
        redisUs: median(ms.map((m) => m.redisUs)),
      };
    }
    return { rows, options };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await cluster.stop();
    await single.stop();
  }
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
const x = (n: number) => `${n.toFixed(2)}×`;

/** The table of docs/benchmarks.md: every row against the bare route and the naive peer. */
export function costTable({ rows }: CostResult): string[] {
  const bare = rows.bare!;
  const naive = rows.naive ?? {};
  const total = (m: Measured) => m.cpuUs + m.redisUs;
  const lines = [
    '| row | target | requests/s | throughput to bare | CPU µs per request (service + Redis) | CPU to bare | Redis to bare | CPU to naive | goal |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  const goals: Partial<Record<Row, string>> = {
    join: 'CPU ≤ 1.80×, Redis ≤ 0.35×, ≤ naive',
    refresh: 'CPU ≤ 1.50×, Redis ≤ 0.20×, ≤ naive',
    count: 'CPU ≤ 1.20×, throughput ≥ 0.90×',
    counts: 'CPU ≤ 1.20×, throughput ≥ 0.90×',
    badge: 'CPU ≤ 1.20×, throughput ≥ 0.90×',
  };
  for (const row of ['join', 'refresh', 'count', 'counts', 'badge'] as const) {
    const base = row === 'join' || row === 'refresh' ? bare.join : bare.count;
    if (base === undefined) continue;
    const peer = row === 'count' || row === 'counts' || row === 'badge' ? naive.count : naive[row];
    for (const target of ['bare', 'naive', 'redis', 'cluster'] as const) {
      const m = rows[target]?.[row];
      if (m === undefined) continue;
      lines.push(
        `| ${row} | ${target} | ${fmt(m.rps)} | ${x(m.rps / base.rps)} | ${fmt(total(m))} (${fmt(m.cpuUs)} + ${fmt(m.redisUs)}) | ${x(total(m) / total(base))} | ${x(m.redisUs / total(base))} | ${peer ? x(total(m) / total(peer)) : '–'} | ${target === 'redis' || target === 'cluster' ? (goals[row] ?? '') : ''} |`,
      );
    }
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await costBench({
    durationS: Number(process.env.BENCH_DURATION_S ?? 5),
    repeats: Number(process.env.BENCH_REPEATS ?? 3),
    connections: Number(process.env.BENCH_CONNECTIONS ?? 64),
    postgres: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
  });
  console.log(costTable(result).join('\n'));
}
