// The live-count benchmark: heartbeat and count throughput against a bare Fastify route, count
// cost at 100, 100 000 and 1 000 000 sessions, and Redis memory per session. Starts its own
// redis-server, the built service and the bare route; drives them with wrk on loopback.
//   npm run bench      (BENCH_DURATION_S=5 per run, BENCH_REPEATS=3 runs per row, medians)
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { createRedisClient, waitForReady } from '../src/presence/redis-client.js';
import { RedisPresenceStore } from '../src/presence/redis-store.js';
import type { PresenceRules } from '../src/presence/store.js';
import { RedisServer } from '../test/support/redis-server.js';

const run = promisify(execFile);
const durationS = Number(process.env.BENCH_DURATION_S ?? 5);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const redisPort = 16385;
const servicePort = 18180;
const unlimitedPort = 18182;
const barePort = 18181;
const prefix = 'hc';
// Long ttls so that loaded sessions stay online through the whole run.
const rules: PresenceRules = {
  visibleTtlMs: 3_600_000,
  hiddenTtlMs: 3_600_000,
  leaveGraceMs: 5_000,
  visibleIntervalMs: 15_000,
  hiddenIntervalMs: 60_000,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForHttp(url: string) {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(url).then(
        (r) => r.status < 500,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

function start(command: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Requests per second from wrk (one thread: the other core serves). */
async function wrk(url: string, script?: string): Promise<number> {
  const args = [
    '-t1',
    `-c${connections}`,
    `-d${durationS}s`,
    '--latency',
    ...(script ? ['-s', script] : []),
    url,
  ];
  const { stdout } = await run('wrk', args, { maxBuffer: 1 << 20 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  if (non2xx > 0) throw new Error(`wrk saw ${non2xx} failed responses from ${url}:\n${stdout}`);
  return rps;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const redisCli = (...args: string[]) => run('redis-cli', ['-p', String(redisPort), ...args]);
const flush = () => redisCli('flushall');
const resetStats = () => redisCli('config', 'resetstat');

/** Redis CPU time per EVALSHA since the last reset, µs. */
async function usecPerScriptCall(): Promise<number> {
  const { stdout } = await redisCli('info', 'commandstats');
  return Number(/cmdstat_evalsha:.*usec_per_call=([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
}

async function usedMemory(port: number): Promise<number> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'info', 'memory']);
  return Number(/used_memory:(\d+)/.exec(stdout)?.[1]);
}

/** Loads sessions into a room through the store, each with its own viewer. */
async function load(store: RedisPresenceStore, room: string, from: number, to: number) {
  const batch = 5_000;
  for (let i = from; i < to; i += batch) {
    const beats = [];
    for (let j = i; j < Math.min(i + batch, to); j++) {
      const id = j.toString(36).padStart(8, '0');
      beats.push(store.heartbeat({ room, session: id, viewer: id, state: 'visible' }));
    }
    await Promise.all(beats);
  }
}

const redis = new RedisServer(redisPort);
const children: ChildProcess[] = [];
try {
  await redis.start();
  await run('npm', ['run', 'build', '--silent']);
  const serviceEnv = {
    REDIS_URL: redis.url,
    DATA_DIR: 'memory://',
    LOG_LEVEL: 'warn',
    ADMIN_TOKEN: 'bench-admin-token-0123456789',
    SNAPSHOT_ENABLED: 'false',
    HEARTBEAT_TTL_S: '3600',
    HIDDEN_TTL_S: '3600',
  };
  children.push(
    // As deployed: the per-address limiter on (with a limit no benchmark reaches).
    start('node', ['dist/server.js'], {
      ...serviceEnv,
      PORT: String(servicePort),
      RATE_LIMIT_MAX: '1000000000',
    }),
    // The same with the per-address limiter off, to show what the limiter's round trip costs.
    start('node', ['dist/server.js'], {
      ...serviceEnv,
      PORT: String(unlimitedPort),
      RATE_LIMIT_MAX: '0',
    }),
    start(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], {
      PORT: String(barePort),
    }),
  );
  const service = `http://127.0.0.1:${servicePort}`;
  const unlimited = `http://127.0.0.1:${unlimitedPort}`;
  const bare = `http://127.0.0.1:${barePort}`;
  await waitForHttp(`${service}/healthz`);
  await waitForHttp(`${unlimited}/healthz`);
  await waitForHttp(`${bare}/v1/rooms/x/count`);

  const client = createRedisClient({ urls: [redis.url], cluster: false, timeoutMs: 10_000 });
  await waitForReady(client, 5_000);
  const store = new RedisPresenceStore(client, rules, prefix);

  // Warm all three up (JIT, connections, script cache).
  for (const base of [bare, service, unlimited])
    await wrk(`${base}/v1/heartbeat`, 'bench/heartbeat.lua');
  await flush();

  // Heartbeats: the three servers in turn, `repeats` times; medians.
  const hb = { bare: [] as number[], limited: [] as number[], unlimited: [] as number[] };
  let heartbeatUs = 0;
  for (let r = 0; r < repeats; r++) {
    hb.bare.push(await wrk(`${bare}/v1/heartbeat`, 'bench/heartbeat.lua'));
    hb.limited.push(await wrk(`${service}/v1/heartbeat`, 'bench/heartbeat.lua'));
    await resetStats();
    hb.unlimited.push(await wrk(`${unlimited}/v1/heartbeat`, 'bench/heartbeat.lua'));
    heartbeatUs = await usecPerScriptCall();
  }
  await flush();

  const bareCount: number[] = [];
  const counts: { sessions: number; limited: number[]; unlimited: number[]; redisUs: number }[] =
    [];
  let loaded = 0;
  let memoryBefore = 0;
  for (const sessions of [100, 100_000, 1_000_000]) {
    if (loaded === 0) memoryBefore = await usedMemory(redisPort);
    await load(store, 'c', loaded, sessions);
    loaded = sessions;
    const count = (await (await fetch(`${service}/v1/rooms/c/count`)).json()) as {
      sessions: number;
    };
    if (count.sessions !== sessions) {
      throw new Error(`expected ${sessions} online, counted ${count.sessions}`);
    }
    const row = { sessions, limited: [] as number[], unlimited: [] as number[], redisUs: 0 };
    for (let r = 0; r < repeats; r++) {
      bareCount.push(await wrk(`${bare}/v1/rooms/c/count`));
      row.limited.push(await wrk(`${service}/v1/rooms/c/count`));
      await resetStats();
      row.unlimited.push(await wrk(`${unlimited}/v1/rooms/c/count`));
      row.redisUs = await usecPerScriptCall();
    }
    counts.push(row);
  }
  const memoryAfter = await usedMemory(redisPort);
  const bytesPerSession = (memoryAfter - memoryBefore) / 1_000_000;
  await store.close();

  const bareHeartbeat = median(hb.bare);
  const bareCountRps = median(bareCount);
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const spreadOf = (xs: number[]) => (Math.max(...xs) - Math.min(...xs)) / Math.max(...xs);
  const spread = spreadOf(counts.map((c) => median(c.limited)));
  const spreadUnlimited = spreadOf(counts.map((c) => median(c.unlimited)));
  const spreadRedis = spreadOf(counts.map((c) => c.redisUs));
  const { stdout: redisVersion } = await run('redis-server', ['--version']);
  const lines = [
    `Date: ${new Date().toISOString()}`,
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${redisVersion.split(' ').slice(0, 3).join(' ')}`,
    `Command: npm run bench (wrk -t1 -c${connections} -d${durationS}s; each row the median of ${repeats} runs taken in turn with the bare route; service, Redis and wrk on the same machine)`,
    '',
    '| measure | requests/s | ratio to bare | limiter off: requests/s | ratio | goal |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    `| bare Fastify route, heartbeat body | ${bareHeartbeat.toFixed(0)} | 1.00 | | | ceiling |`,
    `| POST /v1/heartbeat | ${median(hb.limited).toFixed(0)} | ${ratio(median(hb.limited), bareHeartbeat)} | ${median(hb.unlimited).toFixed(0)} | ${ratio(median(hb.unlimited), bareHeartbeat)} | ≥ 0.70 |`,
    `| bare Fastify route, count | ${bareCountRps.toFixed(0)} | 1.00 | | | ceiling |`,
    ...counts.map(
      (c) =>
        `| GET /v1/rooms/:room/count, ${c.sessions.toLocaleString('en')} online | ${median(c.limited).toFixed(0)} | ${ratio(median(c.limited), bareCountRps)} | ${median(c.unlimited).toFixed(0)} | ${ratio(median(c.unlimited), bareCountRps)} | ≥ 0.90 |`,
    ),
    '',
    'Redis time per script call (INFO commandstats, usec_per_call of EVALSHA):',
    '',
    '| script | µs per call |',
    '| --- | ---: |',
    `| heartbeat (a join: a new session in one of 1 000 rooms) | ${heartbeatUs.toFixed(2)} |`,
    ...counts.map(
      (c) => `| count, ${c.sessions.toLocaleString('en')} online | ${c.redisUs.toFixed(2)} |`,
    ),
    '',
    `Count throughput spread from 100 to 1 000 000 sessions: ${(spread * 100).toFixed(1)} % with the limiter, ${(spreadUnlimited * 100).toFixed(1)} % without; Redis time per count call: ${(spreadRedis * 100).toFixed(1)} % (goal: within 10 %).`,
    `Redis memory per online session (own viewer, used_memory delta over 1 000 000 sessions): ${bytesPerSession.toFixed(0)} bytes (goal ≤ 400).`,
  ];
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/live-count.md', `${lines.join('\n')}\n`);
  console.log(lines.join('\n'));
} finally {
  for (const child of children) child.kill('SIGTERM');
  await redis.stop();
}
