// The speed-and-scale benchmark, every row in one run, in this order (the parts BENCH_ONLY names):
//   cost           what a heartbeat (join, refresh) and a count cost beside a bare Fastify route
//                  and a naive Redis peer, on a single Redis and on Redis Cluster (bench/cost.ts)
//   count          a room's count at 100, 100 000 and 1 000 000 sessions beside the bare route,
//                  and Redis memory per session
//   room-size      Redis time per heartbeat by room size (bench/room-size.ts)
//   snapshot       the snapshot of 10 000 and 100 000 rooms (bench/snapshot.ts)
//   snapshot-load  heartbeats during a snapshot of 100 000 rooms (bench/snapshot-load.ts)
//   rooms-list     the admin rooms list over 100 000 rooms (bench/rooms-list.ts)
//   polling        a room's count polled by 10 000 pages with If-None-Match, a quiet room and a
//                  busy one (bench/count-polling.ts: its own redis-server and service, on ports
//                  the OS picks)
//   viewers-list   the online list of rooms up to 1 000 000 viewers: pages, ?ids=, heartbeats beside
//                  list reads, and a refresh's cost before and after the list (bench/viewers-list.ts:
//                  its own redis-servers and service, on spare ports)
//   activity       what an activity event (backend, page, a batch of 500) costs Redis beside a
//                  heartbeat refresh, at the store level (bench/activity.ts: its own redis-server)
// The service runs at its shipped defaults (default log level and limits, the archive job running
// against PostgreSQL), each simulated page on its own client address behind a trusted proxy; only
// the ttls are long, so that the loaded sessions stay online through the run. Starts its own
// redis-server, the built service and the bare route; drives them with wrk.
//   npm run bench      (BENCH_DURATION_S=5 per run, BENCH_REPEATS=3 runs per row, medians;
//                       BENCH_PAGES=10000 pages polling)
//   BENCH_ONLY=polling,room-size npm run bench   (those parts alone; results in a file of their own)
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createRedisClient, waitForReady } from '../src/presence/redis-client.js';
import { RedisPresenceStore } from '../src/presence/redis-store.js';
import type { Heartbeat } from '../src/presence/store.js';
import { RedisServer } from '../test/support/redis-server.js';
import { activityBench, activityOptions, activityTable } from './activity.js';
import { costBench, costTable } from './cost.js';
import { busyRoomChurnPerS, countPollingBench, countPollingTable } from './count-polling.js';
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
import { type SnapshotBenchResult, snapshotBench } from './snapshot.js';
import { snapshotLoadBench } from './snapshot-load.js';
import { viewersListBench, viewersListOptions, viewersListTable } from './viewers-list.js';

const durationS = Number(process.env.BENCH_DURATION_S ?? 5);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const pollingPages = Number(process.env.BENCH_PAGES ?? 10_000);
const redisPort = 16385;
const servicePort = 18180;
const barePort = 18181;
const prefix = 'hc';
const postgres = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const database = 'headcount_bench';
const rules = longTtlRules;

const parts = [
  'cost',
  'count',
  'room-size',
  'snapshot',
  'snapshot-load',
  'rooms-list',
  'polling',
  'viewers-list',
  'activity',
] as const;
type Part = (typeof parts)[number];
/** BENCH_ONLY=polling,room-size: the parts to run; all of them without it. */
const only = process.env.BENCH_ONLY?.split(',');
const unknownParts = only?.filter((p) => !(parts as readonly string[]).includes(p)) ?? [];
if (unknownParts.length > 0) {
  throw new Error(`BENCH_ONLY: no part ${unknownParts.join(', ')} (parts: ${parts.join(', ')})`);
}
const chosen = (part: Part) => only === undefined || only.includes(part);

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

/** CPU µs per request of the process that answered and of Redis, each run, by row. */
type CpuSamples = Record<string, { process: number[]; redis: number[] }>;

interface CountGrowth {
  /** The bare route's count, requests/s, every run. */
  bareCount: number[];
  counts: { sessions: number; rps: number[] }[];
  cpu: CpuSamples;
  /** Redis used_memory a session (own viewer) over 1 000 000 sessions, bytes. */
  bytesPerSession: number;
}

/** A room's count at 100, 100 000 and 1 000 000 sessions, each run in turn with the bare route's. */
async function countGrowthBench(redisUrl: string, databaseUrl: string): Promise<CountGrowth> {
  const children: ChildProcess[] = [];
  try {
    children.push(
      // As deployed: default log level, limits and snapshots; pages behind one trusted proxy.
      start('node', ['dist/server.js'], {
        REDIS_URL: redisUrl,
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

    const client = createRedisClient({ urls: [redisUrl], cluster: false, timeoutMs: 10_000 });
    await waitForReady(client, 5_000);
    const store = new RedisPresenceStore(client, rules, prefix, 10_000);

    // Warm both up (JIT, connections, script cache).
    for (const base of [bare, service]) {
      await wrk(`${base}/v1/rooms/x/count`, 'bench/count.lua', wrkOptions);
    }
    const cpu: CpuSamples = {};
    const noteCpu = (row: string, m: { cpuUs: number; redisUs: number }) => {
      cpu[row] ??= { process: [], redis: [] };
      cpu[row].process.push(m.cpuUs);
      cpu[row].redis.push(m.redisUs);
    };

    const bareCount: number[] = [];
    const counts: CountGrowth['counts'] = [];
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
    return { bareCount, counts, cpu, bytesPerSession };
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
}

// Only these parts run the built service, and only these share the Redis and database below: a run
// of other parts leaves the build, port 16385 and the bench database alone.
if ((['cost', 'count', 'snapshot-load'] as const).some(chosen)) {
  await run('npm', ['run', 'build', '--silent']);
}
const shared = (['count', 'snapshot', 'snapshot-load'] as const).some(chosen);
// What a heartbeat and a count cost beside the bare route and the naive peer, on Redis and Cluster.
const cost = chosen('cost')
  ? await costBench({ durationS, repeats, connections, postgres })
  : undefined;

const redis = new RedisServer(redisPort);
try {
  if (shared) await redis.start();
  const databaseUrl = shared ? await freshDatabase() : `${postgres}/${database}`;
  const growth = chosen('count') ? await countGrowthBench(redis.url, databaseUrl) : undefined;
  const roomSize = chosen('room-size') ? await roomSizeBench() : undefined;
  const snapshots: SnapshotBenchResult[] = [];
  for (const rooms of chosen('snapshot') ? [10_000, 100_000] : []) {
    await redisCli('flushall');
    snapshots.push(
      await snapshotBench({
        rooms,
        runs: rooms > 10_000 ? 3 : 5,
        redisUrl: redis.url,
        databaseUrl,
      }),
    );
  }
  if (chosen('snapshot-load')) await redisCli('flushall');
  const snapshotLoad = chosen('snapshot-load')
    ? await snapshotLoadBench({
        rooms: 100_000,
        redisUrl: redis.url,
        databaseUrl,
        durationS: 20,
        port: servicePort,
        connections,
      })
    : undefined;
  if (shared) await redisCli('flushall');
  const roomsList = chosen('rooms-list')
    ? await benchRoomsList({ rooms: 100_000, runs: 30 })
    : undefined;
  const polling = chosen('polling')
    ? await countPollingBench({
        pages: pollingPages,
        durationS,
        churnPerS: busyRoomChurnPerS,
        connections,
      })
    : undefined;
  const viewersList = chosen('viewers-list')
    ? await viewersListBench({ ...viewersListOptions(), durationS, repeats, connections })
    : undefined;
  const activity = chosen('activity') ? await activityBench(activityOptions()) : undefined;

  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const cpuOf = (row: string) =>
    `${median(growth?.cpu[row]?.process ?? [Number.NaN]).toFixed(0)}, ${median(growth?.cpu[row]?.redis ?? [Number.NaN]).toFixed(0)}`;
  const spread = (xs: number[]) => (Math.max(...xs) - Math.min(...xs)) / Math.max(...xs);
  const { stdout: redisVersion } = await run('redis-server', ['--version']);
  const lines = [
    `Date: ${new Date().toISOString()}`,
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${redisVersion.split(' ').slice(0, 3).join(' ')}`,
    `Command: ${only ? `BENCH_ONLY=${only.join(',')} ` : ''}npm run bench (wrk -t1 -c${connections} -d${durationS}s; each row the median of ${repeats} runs taken in turn with the bare route; service, Redis, PostgreSQL and wrk on the same machine)`,
  ];
  if (cost) {
    lines.push(
      '',
      'What a heartbeat and a count cost (bench/cost.ts): CPU µs per request of the process that answered and of Redis (all three masters summed on Cluster), over the requests answered; ratios to the bare route and the naive peer of the same run.',
      '',
      ...costTable(cost),
    );
  }
  if (growth) {
    const bareCountRps = median(growth.bareCount);
    lines.push(
      '',
      "A room's count as the room grows:",
      '',
      '| measure | requests/s | ratio to bare | goal | CPU µs per request: process, Redis |',
      '| --- | ---: | ---: | --- | ---: |',
      `| bare Fastify route, count | ${bareCountRps.toFixed(0)} | 1.00 | ceiling | ${cpuOf('bare count')} |`,
      ...growth.counts.map(
        (c) =>
          `| GET /v1/rooms/:room/count, ${c.sessions.toLocaleString('en')} online | ${median(c.rps).toFixed(0)} | ${ratio(median(c.rps), bareCountRps)} | ≥ 0.90 | ${cpuOf(`count ${c.sessions}`)} |`,
      ),
      '',
      'CPU µs per request: CPU time of the process that answered (the service or the bare route) and of redis-server during each run, over the requests answered (medians); wrk, PostgreSQL and the snapshot job share the same two cores.',
      '',
      `Count throughput spread from 100 to 1 000 000 sessions: ${(spread(growth.counts.map((c) => median(c.rps))) * 100).toFixed(1)} %.`,
    );
  }
  if (polling) {
    // The bare route's figure is taken at wrk's full rate, the polling rows' at the pages' rate.
    const bareCountCpuUs = growth
      ? median(growth.cpu['bare count']?.process ?? [Number.NaN])
      : undefined;
    lines.push(
      '',
      `A room's count polled by open pages with If-None-Match (bench/count-polling.ts, one run per row; its own redis-server and the service from source with LOG_LEVEL=warn and the archive in PGlite; CPU µs per request of the service over the requests answered${bareCountCpuUs === undefined ? '' : ", against the bare route's count in the table above, measured there at wrk's full rate"}):`,
      '',
      ...countPollingTable(polling, bareCountCpuUs),
    );
  }
  if (roomSize) {
    lines.push(
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
    );
  }
  if (snapshots.length > 0) {
    lines.push(
      '',
      'Snapshot end to end on PostgreSQL (bench/snapshot.ts; medians of the runs after the first):',
      '',
      '| rooms | first run, ms | median run, ms | read (busy), ms | write (busy), ms | commit, ms | goal |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...snapshots.map(
        (r) =>
          `| ${r.rooms.toLocaleString('en')} | ${r.firstRunMs.toFixed(0)} | ${r.median.totalMs.toFixed(0)} | ${r.median.readMs.toFixed(0)} | ${r.median.writeMs.toFixed(0)} | ${r.median.commitMs.toFixed(0)} | ≤ ${r.rooms > 10_000 ? '5 000' : '500'} |`,
      ),
    );
  }
  if (snapshotLoad) {
    lines.push(
      '',
      `Heartbeats during a snapshot of 100 000 rooms (bench/snapshot-load.ts, wrk ${snapshotLoad.without.requestsPerS.toFixed(0)}/s without, ${snapshotLoad.during.requestsPerS.toFixed(0)}/s during): ${snapshotLoad.ratio.toFixed(2)} of the rate without (goal ≥ 0.80).`,
    );
  }
  if (roomsList) {
    lines.push(
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
    );
  }
  if (viewersList) {
    lines.push(
      '',
      'The online list (bench/viewers-list.ts; its own redis-servers and the service from source):',
      '',
      ...viewersListTable(viewersList),
    );
  }
  if (activity) {
    lines.push(
      '',
      `What activity costs Redis beside a heartbeat refresh (bench/activity.ts, store level, its own redis-server; ${activity.options.rounds} rounds, medians (range), each round's ratios against its own refreshes):`,
      '',
      ...activityTable(activity),
    );
  }
  if (growth) {
    lines.push(
      '',
      `Redis memory per online session (own viewer, used_memory delta over 1 000 000 sessions): ${growth.bytesPerSession.toFixed(0)} bytes (goal ≤ 400).`,
    );
  }
  // A run of some parts keeps a full run's results where they are.
  const results = only ? `speed-and-scale.${only.join('+')}.md` : 'speed-and-scale.md';
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${results}`, `${lines.join('\n')}\n`);
  console.log(lines.join('\n'));
} finally {
  await redis.stop();
}
