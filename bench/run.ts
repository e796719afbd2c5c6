// The speed-and-scale benchmark, every row in one run: what a heartbeat (join, refresh) and a count
// cost beside a bare Fastify route and a naive Redis peer, on a single Redis and on Redis Cluster
// (bench/cost.ts), count cost at 100, 100 000 and 1 000 000 sessions, Redis memory per session,
// and the room-size bench. The service runs
// at its shipped defaults (default log level and limits, the archive job running against
// PostgreSQL), each simulated page on its own client address behind a trusted proxy; only the
// ttls are long, so that the loaded sessions stay online through the run. Then the snapshot of
// 10 000 and 100 000 rooms, heartbeats during one, and the admin rooms list over 100 000 rooms.
// Starts its own redis-server, the built service and the bare route; drives them with wrk.
//   npm run bench      (BENCH_DURATION_S=5 per run, BENCH_REPEATS=3 runs per row, medians)
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createRedisClient, waitForReady } from '../src/presence/redis-client.js';
import { RedisPresenceStore } from '../src/presence/redis-store.js';
import type { Heartbeat } from '../src/presence/store.js';
import { RedisServer } from '../test/support/redis-server.js';
import { costBench, costTable } from './cost.js';
import {
  measured as measuredRun,
  redisCli as measureRedisCli,
  median,
  run,
  start,
  waitForHttp,
  wrk,
} from './measure.js';
import { roomSizeBench } from './room-size.js';
import { benchRoomsList } from './rooms-list.js';
import { longTtlRules } from './rules.js';
import { snapshotBench } from './snapshot.js';
import { snapshotLoadBench } from './snapshot-load.js';

const durationS = Number(process.env.BENCH_DURATION_S ?? 5);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const redisPort = 16385;
const servicePort = 18180;
const barePort = 18181;
const prefix = 'hc';
const postgres = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const database = 'headcount_bench';
const rules = longTtlRules;

const wrkOptions = { durationS, connections };
const redisCli = (...args: string[]) => measureRedisCli(redisPort, ...args);

/** A wrk run with the CPU each request cost the answering process and Redis. */
const measured = (pid: number | undefined, url: string, script: string) =>
  measuredRun(pid, [redisPort], url, script, wrkOptions);

async function usedMemory(): Promise<number> {
  const { stdout } = await redisCli('info', 'memory');
  return Number(/used_memory:(\d+)/.exec(stdout)?.[1]);
}

/** Heartbeats through the store, a few thousand at a time. */
async function beatAll(store: RedisPresenceStore, beats: Heartbeat[]) {
  for (let i = 0; i < beats.length; i += 5_000) {
    await Promise.all(beats.slice(i, i + 5_000).map((hb) => store.heartbeat(hb)));
  }
}

/** Sessions of the count room, each with its own viewer. */
const countBeats = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i): Heartbeat => {
    const id = (from + i).toString(36).padStart(8, '0');
    return { room: 'c', session: id, viewer: id, state: 'visible' };
  });

async function freshDatabase() {
  await run('psql', [postgres, '-qc', `DROP DATABASE IF EXISTS ${database}`]);
  await run('psql', [postgres, '-qc', `CREATE DATABASE ${database}`]);
  return `${postgres}/${database}`;
}

await run('npm', ['run', 'build', '--silent']);
// What a heartbeat and a count cost beside the bare route and the naive peer, on Redis and Cluster.
const cost = await costBench({ durationS, repeats, connections, postgres });

const redis = new RedisServer(redisPort);
const children: ChildProcess[] = [];
try {
  await redis.start();
  const databaseUrl = await freshDatabase();
  children.push(
    // As deployed: default log level, limits and snapshots; pages behind one trusted proxy.
    start('node', ['dist/server.js'], {
      REDIS_URL: redis.url,
      DATABASE_URL: databaseUrl,
      ADMIN_TOKEN: 'bench-admin-token-0123456789',
      TRUST_PROXY: '1',
      VISIBLE_TTL_S: '3600',
      HIDDEN_TTL_S: '3600',
      PORT: String(servicePort),
    }),
    start(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], {
      PORT: String(barePort),
    }),
  );
  const [serviceProcess, bareProcess] = children;
  const service = `http://127.0.0.1:${servicePort}`;
  const bare = `http://127.0.0.1:${barePort}`;
  await waitForHttp(`${service}/healthz`);
  await waitForHttp(`${bare}/v1/rooms/x/count`);

  const client = createRedisClient({ urls: [redis.url], cluster: false, timeoutMs: 10_000 });
  await waitForReady(client, 5_000);
  const store = new RedisPresenceStore(client, rules, prefix);

  // Warm both up (JIT, connections, script cache).
  for (const base of [bare, service]) {
    await wrk(`${base}/v1/rooms/x/count`, 'bench/count.lua', wrkOptions);
  }
  const cpu: Record<string, { process: number[]; redis: number[] }> = {};
  const noteCpu = (row: string, m: { cpuUs: number; redisUs: number }) => {
    cpu[row] ??= { process: [], redis: [] };
    cpu[row].process.push(m.cpuUs);
    cpu[row].redis.push(m.redisUs);
  };

  const bareCount: number[] = [];
  const counts: { sessions: number; rps: number[] }[] = [];
  let loaded = 0;
  let memoryBefore = 0;
  for (const sessions of [100, 100_000, 1_000_000]) {
    if (loaded === 0) memoryBefore = await usedMemory();
    await beatAll(store, countBeats(loaded, sessions));
    loaded = sessions;
    const count = (await (await fetch(`${service}/v1/rooms/c/count`)).json()) as {
      sessions: number;
    };
    if (count.sessions !== sessions) {
      throw new Error(`expected ${sessions} online, counted ${count.sessions}`);
    }
    const row = { sessions, rps: [] as number[] };
    for (let r = 0; r < repeats; r++) {
      const b = await measured(bareProcess?.pid, `${bare}/v1/rooms/c/count`, 'bench/count.lua');
      bareCount.push(b.rps);
      noteCpu('bare count', b);
      const m = await measured(
        serviceProcess?.pid,
        `${service}/v1/rooms/c/count`,
        'bench/count.lua',
      );
      row.rps.push(m.rps);
      noteCpu(`count ${sessions}`, m);
    }
    counts.push(row);
  }
  const bytesPerSession = (Number(await usedMemory()) - memoryBefore) / 1_000_000;
  await store.close();
  for (const child of children.splice(0)) child.kill('SIGTERM');

  const roomSize = await roomSizeBench();
  const snapshots = [];
  for (const rooms of [10_000, 100_000]) {
    await redisCli('flushall');
    snapshots.push(
      await snapshotBench({
        rooms,
        runs: rooms > 10_000 ? 3 : 5,
        redisUrl: redis.url,
        databaseUrl: `${postgres}/${database}`,
      }),
    );
  }
  await redisCli('flushall');
  const snapshotLoad = await snapshotLoadBench({
    rooms: 100_000,
    redisUrl: redis.url,
    databaseUrl: `${postgres}/${database}`,
    durationS: 20,
    port: servicePort,
    connections,
  });
  await redisCli('flushall');
  const roomsList = await benchRoomsList({ rooms: 100_000, runs: 30 });

  const bareCountRps = median(bareCount);
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const cpuOf = (row: string) =>
    `${median(cpu[row]?.process ?? [Number.NaN]).toFixed(0)}, ${median(cpu[row]?.redis ?? [Number.NaN]).toFixed(0)}`;
  const spread = (xs: number[]) => (Math.max(...xs) - Math.min(...xs)) / Math.max(...xs);
  const { stdout: redisVersion } = await run('redis-server', ['--version']);
  const lines = [
    `Date: ${new Date().toISOString()}`,
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${redisVersion.split(' ').slice(0, 3).join(' ')}`,
    `Command: npm run bench (wrk -t1 -c${connections} -d${durationS}s; each row the median of ${repeats} runs taken in turn with the bare route; service, Redis, PostgreSQL and wrk on the same machine)`,
    '',
    'What a heartbeat and a count cost (bench/cost.ts): CPU µs per request of the process that answered and of Redis (all three masters summed on Cluster), over the requests answered; ratios to the bare route and the naive peer of the same run.',
    '',
    ...costTable(cost),
    '',
    "A room's count as the room grows:",
    '',
    '| measure | requests/s | ratio to bare | goal | CPU µs per request: process, Redis |',
    '| --- | ---: | ---: | --- | ---: |',
    `| bare Fastify route, count | ${bareCountRps.toFixed(0)} | 1.00 | ceiling | ${cpuOf('bare count')} |`,
    ...counts.map(
      (c) =>
        `| GET /v1/rooms/:room/count, ${c.sessions.toLocaleString('en')} online | ${median(c.rps).toFixed(0)} | ${ratio(median(c.rps), bareCountRps)} | ≥ 0.90 | ${cpuOf(`count ${c.sessions}`)} |`,
    ),
    '',
    'CPU µs per request: CPU time of the process that answered (the service or the bare route) and of redis-server during each run, over the requests answered (medians); wrk, PostgreSQL and the snapshot job share the same two cores.',
    '',
    `Count throughput spread from 100 to 1 000 000 sessions: ${(spread(counts.map((c) => median(c.rps))) * 100).toFixed(1)} %.`,
    '',
    'One room of n online sessions, at the script level (bench/room-size.ts):',
    '',
    '| sessions in the room | refresh, µs per heartbeat | join, µs per heartbeat |',
    '| ---: | ---: | ---: |',
    ...roomSize.rows.map(
      (r) =>
        `| ${r.sessions.toLocaleString('en')} | ${r.refreshUs.toFixed(2)} | ${r.joinUs.toFixed(2)} |`,
    ),
    '',
    ...roomSize.millionRoom.map(
      (m) =>
        `A room of 1 000 000 visible sessions with stretch ${m.stretch}: ${m.heartbeatsPerS.toFixed(0)} heartbeats a second, ${(m.redisCoreShare * 100).toFixed(0)} % of one Redis core at the cost above.`,
    ),
    '',
    'Snapshot end to end on PostgreSQL (bench/snapshot.ts; medians of the runs after the first):',
    '',
    '| rooms | first run, ms | median run, ms | read (busy), ms | write (busy), ms | commit, ms | goal |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...snapshots.map(
      (r) =>
        `| ${r.rooms.toLocaleString('en')} | ${r.firstRunMs.toFixed(0)} | ${r.median.totalMs.toFixed(0)} | ${r.median.readMs.toFixed(0)} | ${r.median.writeMs.toFixed(0)} | ${r.median.commitMs.toFixed(0)} | ≤ ${r.rooms > 10_000 ? '5 000' : '500'} |`,
    ),
    '',
    `Heartbeats during a snapshot of 100 000 rooms (bench/snapshot-load.ts, wrk ${snapshotLoad.without.requestsPerS.toFixed(0)}/s without, ${snapshotLoad.during.requestsPerS.toFixed(0)}/s during): ${snapshotLoad.ratio.toFixed(2)} of the rate without (goal ≥ 0.80).`,
    '',
    `Admin rooms list over ${roomsList.rooms.toLocaleString('en')} active rooms (bench/rooms-list.ts, median / p95 ms; goal for limit=50 ≤ 50):`,
    '',
    '| query | Redis | embedded |',
    '| --- | ---: | ---: |',
    ...Object.keys(roomsList.redis).map((q) => {
      const r = roomsList.redis[q]!;
      const e = roomsList.embedded[q];
      return `| ${q} | ${r.medianMs.toFixed(1)} / ${r.p95Ms.toFixed(1)} | ${e ? `${e.medianMs.toFixed(1)} / ${e.p95Ms.toFixed(1)}` : ''} |`;
    }),
    '',
    `Redis memory per online session (own viewer, used_memory delta over 1 000 000 sessions): ${bytesPerSession.toFixed(0)} bytes (goal ≤ 400).`,
  ];
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/speed-and-scale.md', `${lines.join('\n')}\n`);
  console.log(lines.join('\n'));
} finally {
  for (const child of children) child.kill('SIGTERM');
  await redis.stop();
}
