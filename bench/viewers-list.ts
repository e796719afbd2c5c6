// The online list at scale (SPEC 9): rooms of 1 000, 100 000 and 1 000 000 online viewers, loaded
// through the store (every third viewer named, one in a hundred appearing offline, each page on its
// own client address), then
//   pages     a page of 100 (the first, and deep ones followed by cursor from the middle of the
//             room) and ?ids= with 100 ids: latency p50/p99 at the store level and through HTTP
//             (the service from source, admin token), and Redis CPU per call;
//   during    refreshes of that room's sessions through HTTP (wrk, bench/viewers-refresh.lua),
//             alone and while 200 list pages a second are read, in alternating pairs;
//   refresh   what a refresh costs Redis at the script level before the online list (heartbeats.lua
//             and lib.lua of BENCH_BEFORE, read with git show) and after (src/presence/lua), in
//             alternating pairs: a listed viewer without a name, a named one, one appearing
//             offline, one with two tabs; the Redis commands each refresh runs; and the joins into
//             a room whose BENCH_EXPIRED viewers all expired, until one of them trims it.
// Starts its own redis-servers (and the service) on spare ports; the loaded rooms never
// expire in a run. CPU times and the time Redis waited for a core come from /proc (Linux).
//   npx tsx bench/viewers-list.ts [pages|refresh]     (BENCH_ONLY=viewers-list npm run bench)
//   BENCH_PAGES=1000 calls per row, BENCH_DURATION_S=5 per wrk run, BENCH_REPEATS=3 pairs,
//   BENCH_READS_PER_S=200, BENCH_ROUNDS=5 script-level pairs per case, BENCH_BEFORE=e87aec3,
//   BENCH_EXPIRED=100000; BENCH_REDIS_PORT=6391 loads the rooms into a redis-server of yours
//   (redis-server --port 6391 --save "" --appendonly no) and keeps them there for the next run
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { AddressHasher } from '../src/presence/address-hash.js';
import { roomKeys } from '../src/presence/keys.js';
import { createRedisClient, type RedisClient, waitForReady } from '../src/presence/redis-client.js';
import { RedisPresenceStore } from '../src/presence/redis-store.js';
import type { Heartbeat, ViewerPosition } from '../src/presence/store.js';
import { RedisServer, sparePort } from '../test/support/redis-server.js';
import { measured, median, processCpuMs, sleep } from './measure.js';
import { longTtlRules } from './rules.js';

const git = promisify(execFile);

export interface ViewersListOptions {
  /** Calls per latency row. */
  pages: number;
  /** Seconds per wrk run. */
  durationS: number;
  /** Pairs of wrk runs (alone, with list reads). */
  repeats: number;
  connections: number;
  /** List pages read a second beside the refreshes. */
  readsPerS: number;
  /** Pairs per case at the script level. */
  rounds: number;
  /** Viewers of the room that expires at once, before joins trim it. */
  expired: number;
  /** The commit before the online list, whose scripts the refresh pairs compare with. */
  before: string;
  /** A running redis-server to load the rooms into and keep them in; a new one when undefined. */
  redisPort?: number | undefined;
}

/** p50 and p99 of a row's calls, ms; CPU per call, µs. */
export interface LatencyRow {
  room: number;
  call: 'first page' | 'deep pages' | 'ids (100)';
  via: 'store' | 'HTTP';
  calls: number;
  p50Ms: number;
  p99Ms: number;
  /** Redis CPU (INFO cpu) per call, µs. */
  redisUs: number;
  /** Redis's own time in the script per call (INFO commandstats, evalsha usec_per_call), µs. */
  scriptUs: number;
  /** Redis commands the scripts ran per call (INFO commandstats). */
  commands: number;
  /** Share of the row's time redis-server was ready to run but waited for a core (schedstat). */
  redisWaitShare: number;
  /** The service's CPU per call, µs (HTTP rows). */
  serviceUs?: number;
  /** Viewers in the first answer (a page's, or the online ids'). */
  returned: number;
}

export interface DuringRun {
  reads: boolean;
  heartbeatsPerS: number;
  /** CPU µs per heartbeat: the service's and Redis's (the reads' included when reading). */
  serviceUs: number;
  redisUs: number;
  /** List pages read a second while measured, and their latency. */
  pagesPerS: number;
  pageP50Ms: number;
  pageP99Ms: number;
  /** Share of the run redis-server ran, and waited for a core. */
  redisRunShare: number;
  redisWaitShare: number;
}

export type RefreshCase = 'listed, no name' | 'named' | 'appearing offline' | 'two tabs';

export interface RefreshPair {
  case: RefreshCase;
  /** Redis time in the script per refresh, µs: before, after. */
  beforeUs: number;
  afterUs: number;
  /** Redis CPU per refresh, µs. */
  beforeCpuUs: number;
  afterCpuUs: number;
}

export interface ViewersListResult {
  options: ViewersListOptions;
  /** Seconds to load each room through the store. */
  loadS: Record<number, number>;
  latency: LatencyRow[];
  during: DuringRun[];
  refresh: RefreshPair[];
  /** Redis commands per refresh by case, before and after (from the last pair). */
  commands: Record<RefreshCase, { before: Record<string, number>; after: Record<string, number> }>;
  /** Joins into a room whose viewers all expired, until one of them trimmed it, by pair. */
  expiry: ExpiryPair[];
}

export interface ExpiryPair {
  /** Viewers (one session each, with an address) that expired. */
  expired: number;
  /** Script ms of the joins until the room was trimmed, in all and the longest call. */
  beforeMs: number;
  afterMs: number;
  beforeLongestMs: number;
  afterLongestMs: number;
}

const adminToken = 'bench-admin-token-0123456789';
const prefix = 'hc';
const sizes = [1_000, 100_000, 1_000_000];
const roomOf = (size: number) => `list-${size}`;
const pad = (i: number) => String(i).padStart(7, '0');
const addressOf = (i: number) =>
  `10.${Math.floor(i / 65_536) % 256}.${Math.floor(i / 256) % 256}.${i % 256}`;
/** Every third viewer is named; one in a hundred appears offline (bench/viewers-refresh.lua skips both). */
const nameOf = (i: number) => (i % 3 === 0 ? `Viewer ${i}` : undefined);
const listedOf = (i: number) => (i % 100 === 7 ? false : undefined);
/** The listed viewers' sorted set: ROOM_KEYS.listed in lib.lua ('<since>|<viewer>', scores 0). */
const listedKey = (room: string) => `${roomKeys(prefix, room).base}o`;
/** A cursor as routes/viewers.ts makes it from a position. */
const cursorOf = ({ since, id }: ViewerPosition) =>
  Buffer.from(`${since}|${id}`).toString('base64url');

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
};

async function redisCpuUs(client: RedisClient): Promise<number> {
  const info = await client.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

/** Time a process has run and waited to run on a core so far, ms (/proc: Linux only, NaN elsewhere). */
function scheduledMs(pid: number): { runMs: number; waitMs: number } {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
    return { runMs: run! / 1e6, waitMs: wait! / 1e6 };
  } catch {
    return { runMs: Number.NaN, waitMs: Number.NaN };
  }
}

const redisPid = async (client: RedisClient) =>
  Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);

/** Redis commands a script ran, per call of it: every command counted but the ones named. */
const scriptCommands = (
  stats: Map<string, { calls: number; usec: number }>,
  calls: number,
): Record<string, number> => {
  const commands: Record<string, number> = {};
  for (const [name, { calls: n }] of stats) {
    if (!['evalsha', 'config|resetstat', 'info'].includes(name)) {
      commands[name.toUpperCase()] = n / calls;
    }
  }
  return commands;
};

/** Calls and µs per command since the last CONFIG RESETSTAT (commands run by scripts included). */
async function commandStats(
  client: RedisClient,
): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const m of (await client.info('commandstats')).matchAll(
    /cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g,
  )) {
    stats.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return stats;
}

/** One GET on a keep-alive connection; the status and the body. */
function get(agent: Agent, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { agent, headers: { authorization: `Bearer ${adminToken}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Viewer i of a loaded room, as a page of it beats. */
const loadBeat = (room: string, i: number, hash: (address: string) => string | undefined) =>
  ({
    room,
    session: `s${pad(i)}`,
    viewer: `v${pad(i)}`,
    state: 'visible',
    address: hash(addressOf(i)),
    name: nameOf(i),
    listed: listedOf(i),
  }) satisfies Heartbeat;

/** The service from source at its shipped settings, but for ttls that keep the loaded rooms online. */
async function startService(redisUrl: string): Promise<{ child: ChildProcess; base: string }> {
  const port = await sparePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      DATA_DIR: 'memory://',
      ADMIN_TOKEN: adminToken,
      TRUST_PROXY: '1',
      VISIBLE_TTL_S: '3600',
      HIDDEN_TTL_S: '3600',
      LOG_LEVEL: 'warn',
      PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const agent = new Agent();
  try {
    for (let i = 0; ; i++) {
      if (
        await get(agent, `${base}/healthz`).then(
          (r) => r.status === 200,
          () => false,
        )
      ) {
        return { child, base };
      }
      if (i > 600) throw new Error('the service did not come up');
      await sleep(100);
    }
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  } finally {
    agent.destroy();
  }
}

/** Times `calls` calls one after another, with Redis's CPU and script time over them. */
async function timeRow(
  client: RedisClient,
  calls: number,
  call: (i: number) => Promise<number>,
  pid?: number,
) {
  await call(0); // warms up (script cache, JIT)
  const redis = await redisPid(client);
  await client.config('RESETSTAT');
  const [redis0, cpu0] = [await redisCpuUs(client), processCpuMs(pid)];
  const [sched0, started0] = [scheduledMs(redis), performance.now()];
  const ms: number[] = [];
  let returned = 0;
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const n = await call(i);
    ms.push(performance.now() - started);
    if (i === 0) returned = n;
  }
  const [sched1, elapsedMs] = [scheduledMs(redis), performance.now() - started0];
  const [redis1, cpu1] = [await redisCpuUs(client), processCpuMs(pid)];
  const stats = await commandStats(client);
  const evalsha = stats.get('evalsha');
  return {
    calls,
    p50Ms: percentile(ms, 0.5),
    p99Ms: percentile(ms, 0.99),
    redisUs: (redis1 - redis0) / calls,
    scriptUs: evalsha ? evalsha.usec / evalsha.calls : Number.NaN,
    commands: Object.values(scriptCommands(stats, calls)).reduce((a, b) => a + b, 0),
    redisWaitShare: (sched1.waitMs - sched0.waitMs) / elapsedMs,
    ...(pid === undefined ? {} : { serviceUs: ((cpu1 - cpu0) * 1000) / calls }),
    returned,
  };
}

/** A room's deep pages: positions of consecutive pages from its middle, by cursor. */
async function deepPositions(
  store: RedisPresenceStore,
  client: RedisClient,
  room: string,
  size: number,
  pages: number,
): Promise<ViewerPosition[]> {
  const [member] = await client.zrange(listedKey(room), Math.floor(size / 2), Math.floor(size / 2));
  const bar = member!.indexOf('|');
  const start = { since: Number(member!.slice(0, bar)), id: member!.slice(bar + 1) };
  const positions: ViewerPosition[] = [];
  let after: ViewerPosition = start;
  while (positions.length < pages) {
    positions.push(after);
    after = (await store.viewers(room, { limit: 100, after })).next ?? start;
  }
  return positions;
}

/** 100 ids spread over the room, hidden viewers among them, each once. */
const idsOf = (size: number) =>
  Array.from({ length: 100 }, (_, k) => `v${pad((k * 7_919 + 13) % size)}`);

/** Reads list pages at readsPerS (open loop) until stopped; their latencies. */
function readPages(agent: Agent, base: string, room: string, cursors: string[], readsPerS: number) {
  const ms: number[] = [];
  let stop = false;
  let measuring = false;
  const done = (async () => {
    const started = performance.now();
    let sent = 0;
    let inFlight = 0;
    const reads: Promise<void>[] = [];
    while (!stop) {
      const due = Math.floor(((performance.now() - started) / 1000) * readsPerS);
      while (sent < due && inFlight < 64) {
        const cursor = cursors[sent % cursors.length]!;
        const counted = measuring;
        inFlight++;
        const t0 = performance.now();
        reads.push(
          get(agent, `${base}/v1/rooms/${room}/viewers?limit=100&cursor=${cursor}`).then((r) => {
            inFlight--;
            if (r.status !== 200) throw new Error(`viewers answered ${r.status}: ${r.body}`);
            if (counted && measuring) ms.push(performance.now() - t0);
          }),
        );
        sent++;
      }
      if (reads.length > 1_000) await Promise.all(reads.splice(0, 500));
      await sleep(2);
    }
    await Promise.all(reads);
  })();
  return {
    /** Counts the reads answered from now on. */
    measure: () => {
      measuring = true;
    },
    stop: async () => {
      measuring = false;
      stop = true;
      await done;
      return ms;
    },
  };
}

/** Loads the rooms and measures pages, ids and heartbeats beside list reads. */
async function pagesBench(options: ViewersListOptions, log: (line: string) => void) {
  // BENCH_REDIS_PORT: a redis-server of the caller's, whose rooms loaded by an earlier run are kept.
  const kept = options.redisPort !== undefined;
  const server = new RedisServer(options.redisPort ?? (await sparePort()));
  if (!kept) await server.start();
  const client = createRedisClient({ urls: [server.url], cluster: false, timeoutMs: 60_000 });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let child: ChildProcess | undefined;
  try {
    await waitForReady(client, 10_000);
    const store = new RedisPresenceStore(client, longTtlRules, prefix, 60_000);
    // Addresses hashed with the day's salt in the store, as the service hashes them: a refresh
    // through HTTP finds its session's address unchanged.
    const hasher = new AddressHasher(store);
    await hasher.refresh();
    const hash = (address: string) => hasher.hash(address);
    const loadS: Record<number, number> = {};
    for (const size of sizes) {
      const room = roomOf(size);
      const started = performance.now();
      const loaded = (await store.viewers(room, { limit: 1, after: null })).total === size;
      for (let i = 0; i < (loaded ? 0 : size); i += 5_000) {
        await Promise.all(
          Array.from({ length: Math.min(5_000, size - i) }, (_, k) =>
            store.heartbeat(loadBeat(room, i + k, hash)),
          ),
        );
      }
      loadS[size] = (performance.now() - started) / 1000;
      const first = await store.viewers(room, { limit: 100, after: null });
      if (first.total !== size || first.hidden !== size / 100) {
        throw new Error(`${room}: ${first.total} online, ${first.hidden} hidden`);
      }
      log(`loaded ${room} in ${loadS[size]!.toFixed(0)} s`);
    }

    const latency: LatencyRow[] = [];
    const cursors = new Map<number, string[]>();
    for (const size of sizes) {
      const room = roomOf(size);
      const positions = await deepPositions(store, client, room, size, options.pages);
      cursors.set(size, positions.map(cursorOf));
      const ids = idsOf(size);
      const rows: [LatencyRow['call'], (i: number) => Promise<number>][] = [
        [
          'first page',
          async () => (await store.viewers(room, { limit: 100, after: null })).viewers.length,
        ],
        [
          'deep pages',
          async (i) =>
            (await store.viewers(room, { limit: 100, after: positions[i % positions.length]! }))
              .viewers.length,
        ],
        ['ids (100)', async () => (await store.onlineViewers(room, ids)).online.length],
      ];
      for (const [call, fn] of rows) {
        latency.push({
          room: size,
          call,
          via: 'store',
          ...(await timeRow(client, options.pages, fn)),
        });
        log(`store ${room} ${call}: ${JSON.stringify(latency.at(-1))}`);
      }
    }

    const service = await startService(server.url);
    child = service.child;
    const { base } = service;
    const pid = child.pid!;
    const viewersUrl = (room: string, query: string) => `${base}/v1/rooms/${room}/viewers?${query}`;
    const count = (body: string) => {
      const answer = JSON.parse(body) as { viewers?: unknown[]; online?: unknown[] };
      return (answer.viewers ?? answer.online ?? []).length;
    };
    const httpCall = async (url: string) => {
      const r = await get(agent, url);
      if (r.status !== 200) throw new Error(`${url} answered ${r.status}: ${r.body}`);
      return count(r.body);
    };
    for (const size of sizes) {
      const room = roomOf(size);
      const roomCursors = cursors.get(size)!;
      const ids = idsOf(size).join(',');
      const rows: [LatencyRow['call'], (i: number) => Promise<number>][] = [
        ['first page', () => httpCall(viewersUrl(room, 'limit=100'))],
        [
          'deep pages',
          (i) =>
            httpCall(viewersUrl(room, `limit=100&cursor=${roomCursors[i % roomCursors.length]}`)),
        ],
        ['ids (100)', () => httpCall(viewersUrl(room, `ids=${ids}`))],
      ];
      for (const [call, fn] of rows) {
        latency.push({
          room: size,
          call,
          via: 'HTTP',
          ...(await timeRow(client, options.pages, fn, pid)),
        });
        log(`HTTP ${room} ${call}: ${JSON.stringify(latency.at(-1))}`);
      }
    }

    // Refreshes of the largest room's listed viewers without a name, alone and beside list reads.
    const size = sizes.at(-1)!;
    const room = roomOf(size);
    const redis = await redisPid(client);
    // Each run refreshes sessions of its own stretch of the room: none beats faster than its min gap.
    let runs = 0;
    const heartbeats = (reads: boolean) => async (): Promise<DuringRun> => {
      const wrkOptions = {
        durationS: options.durationS,
        connections: options.connections,
        env: { BENCH_ROOM: room, BENCH_POOL: String(size), BENCH_START: String(runs++ * 100_003) },
      };
      const reader = reads
        ? readPages(agent, base, room, cursors.get(size)!, options.readsPerS)
        : undefined;
      await sleep(reads ? 500 : 0);
      reader?.measure();
      const started = performance.now();
      const sched0 = scheduledMs(redis);
      const m = await measured(
        pid,
        [server.port],
        `${base}/v1/heartbeat`,
        'bench/viewers-refresh.lua',
        wrkOptions,
      );
      const seconds = (performance.now() - started) / 1000;
      const sched1 = scheduledMs(redis);
      const ms = (await reader?.stop()) ?? [];
      return {
        reads,
        heartbeatsPerS: m.rps,
        serviceUs: m.cpuUs,
        redisUs: m.redisUs,
        pagesPerS: ms.length / seconds,
        pageP50Ms: percentile(ms, 0.5),
        pageP99Ms: percentile(ms, 0.99),
        redisRunShare: (sched1.runMs - sched0.runMs) / (seconds * 1000),
        redisWaitShare: (sched1.waitMs - sched0.waitMs) / (seconds * 1000),
      };
    };
    await heartbeats(true)(); // warms up
    const during: DuringRun[] = [];
    for (let r = 0; r < options.repeats; r++) {
      const pair = r % 2 === 0 ? [false, true] : [true, false];
      for (const reads of pair) {
        during.push(await heartbeats(reads)());
        log(`heartbeats ${JSON.stringify(during.at(-1))}`);
      }
    }
    await store.close();
    return { loadS, latency, during };
  } finally {
    agent.destroy();
    child?.kill('SIGTERM');
    client.disconnect();
    if (!kept) await server.stop();
  }
}

const refreshCases: { case: RefreshCase; said: string; tabs: boolean }[] = [
  { case: 'listed, no name', said: '+', tabs: false },
  { case: 'named', said: '+Ada Lovelace', tabs: false },
  { case: 'appearing offline', said: '-', tabs: false },
  { case: 'two tabs', said: '+', tabs: true },
];

/** Sessions per (version, case), in 1 000 rooms; a call holds 64 heartbeats. */
const scriptSessions = 64_000;
const scriptRooms = 1_000;
const perCall = 64;

/**
 * heartbeats.lua calls refreshing every session of a set once, as the store sends them: grouped by
 * room, 64 heartbeats a call (64 rooms, or 32 with two tabs each). `said` is sent to the scripts
 * after the online list only.
 */
function scriptCalls(
  keyPrefix: string,
  said: string | null,
  tabs: boolean,
): { keys: string[]; args: (string | number)[] }[] {
  // Long ttls, a short interval (a refresh is never too soon), no stretch, no cap per address.
  const rules = [3_600_000, 3_600_000, 3, 3, 0, 0];
  const calls: { keys: string[]; args: (string | number)[] }[] = [];
  for (let i = 0; i < scriptSessions; i += perCall) {
    const byRoom = new Map<number, (string | number)[][]>();
    for (let s = i; s < i + perCall; s++) {
      const viewer = tabs ? Math.floor(s / 2) : s;
      const room = viewer % scriptRooms;
      const fields = [`s${pad(s)}`, `v${pad(viewer)}`, '', 'v10', `Ab${pad(s)}CdEfGh`];
      if (said !== null) fields.push(said);
      byRoom.set(room, [...(byRoom.get(room) ?? []), fields]);
    }
    const keys: string[] = [];
    const args: (string | number)[] = [...rules];
    for (const [room, beats] of byRoom) {
      keys.push(`${keyPrefix}:{r${room}}:`);
      args.push(beats.length, ...beats.flat());
    }
    calls.push({ keys, args });
  }
  return calls;
}

/** Refresh cost before and after the online list, at the script level, in alternating pairs. */
async function refreshBench(options: ViewersListOptions, log: (line: string) => void) {
  const show = async (file: string) =>
    (
      await git('git', ['show', `${options.before}:src/presence/lua/${file}`], {
        maxBuffer: 1 << 24,
      })
    ).stdout;
  const lua = (file: string) =>
    readFileSync(new URL(`../src/presence/lua/${file}`, import.meta.url), 'utf8');
  const scripts = {
    before: `${await show('lib.lua')}\n${await show('heartbeats.lua')}`,
    after: `${lua('lib.lua')}\n${lua('heartbeats.lua')}`,
  };
  const server = new RedisServer(await sparePort());
  await server.start();
  const client = createRedisClient({ urls: [server.url], cluster: false, timeoutMs: 60_000 });
  try {
    await waitForReady(client, 10_000);
    const sha = {
      before: String(await client.script('LOAD', scripts.before)),
      after: String(await client.script('LOAD', scripts.after)),
    };
    type Version = keyof typeof sha;
    const sets = new Map<string, ReturnType<typeof scriptCalls>>();
    for (const c of refreshCases) {
      for (const version of ['before', 'after'] as const) {
        const calls = scriptCalls(
          `${version}-${refreshCases.indexOf(c)}`,
          version === 'after' ? c.said : null,
          c.tabs,
        );
        sets.set(`${version} ${c.case}`, calls);
        // Joins, then one refresh unmeasured (a second tab's first refresh names the first).
        for (let pass = 0; pass < 2; pass++) {
          for (const { keys, args } of calls) {
            await client.evalsha(sha[version], keys.length, ...keys, ...args);
          }
        }
      }
    }
    const batch = async (version: Version, c: RefreshCase) => {
      const calls = sets.get(`${version} ${c}`)!;
      await client.config('RESETSTAT');
      const cpu0 = await redisCpuUs(client);
      for (const { keys, args } of calls) {
        const reply = (await client.evalsha(
          sha[version],
          keys.length,
          ...keys,
          ...args,
        )) as number[];
        // Every heartbeat accepted (flags > 0) and none a join (flags even).
        for (let k = 3; k < reply.length; k += 3) {
          if (reply[k]! <= 0 || reply[k]! % 2 !== 0) {
            throw new Error(`${version} ${c}: a heartbeat was not a refresh (${reply[k]})`);
          }
        }
      }
      const cpuUs = ((await redisCpuUs(client)) - cpu0) / scriptSessions;
      const stats = await commandStats(client);
      const commands = scriptCommands(stats, scriptSessions);
      return { scriptUs: stats.get('evalsha')!.usec / scriptSessions, cpuUs, commands };
    };
    const refresh: RefreshPair[] = [];
    const commands = {} as ViewersListResult['commands'];
    for (let r = 0; r < options.rounds; r++) {
      for (const { case: c } of refreshCases) {
        const order: Version[] = r % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
        const got: Partial<Record<Version, Awaited<ReturnType<typeof batch>>>> = {};
        for (const version of order) got[version] = await batch(version, c);
        const [b, a] = [got.before!, got.after!];
        refresh.push({
          case: c,
          beforeUs: b.scriptUs,
          afterUs: a.scriptUs,
          beforeCpuUs: b.cpuUs,
          afterCpuUs: a.cpuUs,
        });
        commands[c] = { before: b.commands, after: a.commands };
        log(`refresh ${JSON.stringify(refresh.at(-1))}`);
      }
    }
    const expiry: ExpiryPair[] = [];
    for (let r = 0; r < Math.min(options.rounds, 3); r++) {
      expiry.push(await expiryPair(client, sha, options.expired, r, log));
    }
    return { refresh, commands, expiry };
  } finally {
    client.disconnect();
    await server.stop();
  }
}

/**
 * A room whose `expired` viewers all went away without a leave (a stream that ended, pages that
 * closed), then new joins, one a call, until one of them trims the room (a join trims on one
 * millisecond in four): the script time of those joins, before the online list and after.
 */
async function expiryPair(
  client: RedisClient,
  sha: { before: string; after: string },
  expired: number,
  round: number,
  log: (line: string) => void,
): Promise<ExpiryPair> {
  const ttlMs = 3_000;
  const rules = [ttlMs, ttlMs, 3, 3, 0, 0];
  const versions = ['before', 'after'] as const;
  const base = (version: (typeof versions)[number]) => `${version}-expiry-${round}:{room}:`;
  for (const version of versions) {
    for (let i = 0; i < expired; i += 500) {
      const args: (string | number)[] = [...rules, Math.min(500, expired - i)];
      for (let s = i; s < Math.min(expired, i + 500); s++) {
        args.push(`s${pad(s)}`, `v${pad(s)}`, '', 'v10', `Ab${pad(s)}CdEfGh`);
        if (version === 'after') args.push(nameOf(s) ? `+${nameOf(s)}` : '+');
      }
      await client.evalsha(sha[version], 1, base(version), ...args);
    }
  }
  await sleep(ttlMs + 1_500);
  const ms: Record<string, number[]> = { before: [], after: [] };
  for (const version of round % 2 === 0 ? versions : [...versions].reverse()) {
    for (let j = 0; (await client.zcard(`${base(version)}w`)) > j; j++) {
      await client.config('RESETSTAT');
      const args = [...rules, 1, `n${j}`, `nv${j}`, '', 'v10', `Xy${j}`];
      await client.evalsha(
        sha[version],
        1,
        base(version),
        ...args,
        ...(version === 'after' ? ['+'] : []),
      );
      ms[version]!.push(((await commandStats(client)).get('evalsha')?.usec ?? Number.NaN) / 1000);
      await sleep(1);
    }
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const pair = {
    expired,
    beforeMs: sum(ms.before!),
    afterMs: sum(ms.after!),
    beforeLongestMs: Math.max(...ms.before!),
    afterLongestMs: Math.max(...ms.after!),
  };
  log(`expiry ${JSON.stringify(pair)}`);
  return pair;
}

export async function viewersListBench(
  options: ViewersListOptions,
  parts: readonly ('pages' | 'refresh')[] = ['pages', 'refresh'],
  log: (line: string) => void = console.log,
): Promise<ViewersListResult> {
  const result: ViewersListResult = {
    options,
    loadS: {},
    latency: [],
    during: [],
    refresh: [],
    commands: {} as ViewersListResult['commands'],
    expiry: [],
  };
  if (parts.includes('refresh')) Object.assign(result, await refreshBench(options, log));
  if (parts.includes('pages')) Object.assign(result, await pagesBench(options, log));
  return result;
}

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
const pct = (share: number) => (Number.isFinite(share) ? `${(share * 100).toFixed(0)} %` : '–');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');

/** The tables of docs/benchmarks.md ("The online list"). */
export function viewersListTable({
  options,
  latency,
  during,
  refresh,
  commands,
  expiry,
}: ViewersListResult) {
  const lines: string[] = [];
  if (latency.length > 0) {
    lines.push(
      `Pages of 100 and ?ids= with 100 ids, ${options.pages} calls a row one after another (p50 / p99 ms; per call: Redis CPU µs, Redis's time in the script µs, the commands the script ran, the service's CPU µs over HTTP; the share of the row's time Redis waited for a core):`,
      '',
      '| viewers online | call | via | p50 / p99 ms | Redis CPU µs | script µs | commands | service CPU µs | Redis waiting | returned |',
      '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...latency.map(
        (r) =>
          `| ${r.room.toLocaleString('en')} | ${r.call} | ${r.via} | ${f2(r.p50Ms)} / ${f2(r.p99Ms)} | ${f0(r.redisUs)} | ${f0(r.scriptUs)} | ${f0(r.commands)} | ${r.serviceUs === undefined ? '' : f0(r.serviceUs)} | ${pct(r.redisWaitShare)} | ${r.returned} |`,
      ),
    );
  }
  if (during.length > 0) {
    const rps = (reads: boolean) =>
      median(during.filter((d) => d.reads === reads).map((d) => d.heartbeatsPerS));
    lines.push(
      '',
      `Refreshes of the 1 000 000 room's sessions through HTTP (wrk -t1 -c${options.connections} -d${options.durationS}s), alone and while ${options.readsPerS} deep pages a second are read, in alternating pairs:`,
      '',
      '| list reads | heartbeats/s | CPU µs per heartbeat (service + Redis) | pages/s | page p50 / p99 ms | Redis running / waiting for a core |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...during.map(
        (d) =>
          `| ${d.reads ? `${options.readsPerS}/s` : 'none'} | ${d.heartbeatsPerS.toFixed(0)} | ${(d.serviceUs + d.redisUs).toFixed(0)} (${d.serviceUs.toFixed(0)} + ${d.redisUs.toFixed(0)}) | ${d.reads ? d.pagesPerS.toFixed(0) : ''} | ${d.reads ? `${f1(d.pageP50Ms)} / ${f1(d.pageP99Ms)}` : ''} | ${pct(d.redisRunShare)} / ${pct(d.redisWaitShare)} |`,
      ),
      '',
      `Heartbeats a second with reads to without (medians): ${f2(rps(true) / rps(false))}.`,
    );
  }
  if (refresh.length > 0) {
    lines.push(
      '',
      `A refresh at the script level, before the online list (${options.before}) and after, ${scriptSessions.toLocaleString('en')} refreshes a batch, ${perCall} a call (Redis time in the script per refresh, µs; medians of ${options.rounds} alternating pairs):`,
      '',
      '| refresh of | before µs | after µs | after / before (pairs) | median ratio | Redis CPU µs before → after | commands added |',
      '| --- | ---: | ---: | --- | ---: | ---: | --- |',
      ...refreshCases.map(({ case: c }) => {
        const pairs = refresh.filter((p) => p.case === c);
        const ratios = pairs.map((p) => p.afterUs / p.beforeUs);
        const added = Object.entries(commands[c]?.after ?? {})
          .map(([name, n]) => [name, n - (commands[c]?.before[name] ?? 0)] as const)
          .filter(([, n]) => Math.abs(n) > 0.001)
          .map(([name, n]) => `${n > 0 ? '+' : ''}${f2(n)} ${name}`)
          .join(', ');
        return `| ${c} | ${f1(median(pairs.map((p) => p.beforeUs)))} | ${f1(median(pairs.map((p) => p.afterUs)))} | ${ratios.map(f2).join(', ')} | ${f2(median(ratios))} | ${f1(median(pairs.map((p) => p.beforeCpuUs)))} → ${f1(median(pairs.map((p) => p.afterCpuUs)))} | ${added || 'none'} |`;
      }),
      '',
      'Redis commands per refresh, after:',
      '',
      ...refreshCases.map(
        ({ case: c }) =>
          `- ${c}: ${Object.entries(commands[c]?.after ?? {})
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, n]) => `${name} ${f2(n)}`)
            .join(', ')}`,
      ),
    );
  }
  if (expiry.length > 0) {
    lines.push(
      '',
      `Joins into a room whose ${expiry[0]!.expired.toLocaleString('en')} viewers (one session each, with an address) all expired, one join a call until one trims the room (script ms in all, and the longest call):`,
      '',
      '| pair | before ms (longest) | after ms (longest) | after / before |',
      '| ---: | ---: | ---: | ---: |',
      ...expiry.map(
        (e, i) =>
          `| ${i + 1} | ${f1(e.beforeMs)} (${f1(e.beforeLongestMs)}) | ${f1(e.afterMs)} (${f1(e.afterLongestMs)}) | ${f2(e.afterMs / e.beforeMs)} |`,
      ),
    );
  }
  return lines;
}

export const viewersListOptions = (): ViewersListOptions => ({
  pages: Number(process.env.BENCH_PAGES ?? 1_000),
  durationS: Number(process.env.BENCH_DURATION_S ?? 5),
  repeats: Number(process.env.BENCH_REPEATS ?? 3),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 64),
  readsPerS: Number(process.env.BENCH_READS_PER_S ?? 200),
  rounds: Number(process.env.BENCH_ROUNDS ?? 5),
  before: process.env.BENCH_BEFORE ?? 'e87aec3',
  expired: Number(process.env.BENCH_EXPIRED ?? 100_000),
  redisPort: process.env.BENCH_REDIS_PORT ? Number(process.env.BENCH_REDIS_PORT) : undefined,
});

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const part = process.argv[2];
  const parts = part === 'pages' || part === 'refresh' ? ([part] as const) : undefined;
  const result = await viewersListBench(viewersListOptions(), parts);
  console.log(`\n${viewersListTable(result).join('\n')}`);
  process.exit(0);
}
