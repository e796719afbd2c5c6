// What activity (SPEC 10) costs Redis beside a heartbeat, at the store level (RedisPresenceStore on
// a single Redis, apart from HTTP and the service), in one run, the cases in turn each round (the
// order reversed every other round), each round's ratios taken against its own heartbeat refresh:
//   heartbeat      a refresh of an online session, one a call (awaited in turn)
//   heartbeat ×64  refreshes 64 at a time, as one event-loop tick's heartbeats go in one call
//   backend event  recordActivity with one event (n = 1) of a kind its room already counts, in rooms
//                  of 4 kinds
//   page event     pageActivity for an online session, of a kind its room already counts; every
//                  session once a round, so that the one-a-second gap never refuses
//   batch of 500   recordActivity with 500 events in 10 rooms (50 each over 5 kinds): one call
// Reports Redis CPU (INFO cpu) per call, and per heartbeat or event, and Redis's time in the
// script (INFO commandstats, evalsha). Every call is checked accepted. Starts a redis-server of its
// own (--save "" --appendonly no) on BENCH_REDIS_PORT (6393) and stops it at the end.
//   npx tsx bench/activity.ts      (BENCH_ONLY=activity npm run bench)
//   BENCH_ROUNDS=5 rounds, BENCH_CALLS=10000 calls per single-event case
import { pathToFileURL } from 'node:url';
import { createRedisClient, type RedisClient, waitForReady } from '../src/presence/redis-client.js';
import { RedisPresenceStore } from '../src/presence/redis-store.js';
import type { ActivityEvent, ActivityOutcome, Heartbeat } from '../src/presence/store.js';
import { RedisServer } from '../test/support/redis-server.js';
import { median } from './measure.js';

export interface ActivityOptions {
  rounds: number;
  /** Calls per single-event case (and sessions of the page case). */
  calls: number;
  redisPort: number;
}

export type ActivityCase =
  | 'heartbeat'
  | 'heartbeat ×64'
  | 'backend event'
  | 'page event'
  | 'batch of 500';

export interface ActivityRow {
  round: number;
  case: ActivityCase;
  calls: number;
  /** Heartbeats or events a call. */
  perCall: number;
  /** Redis CPU per call (INFO cpu), µs. */
  cpuUs: number;
  /** Redis's time in the script per call (evalsha), µs. */
  scriptUs: number;
  /** Redis commands per call, the call itself included (INFO commandstats). */
  commands: number;
}

export interface ActivityResult {
  options: ActivityOptions;
  rows: ActivityRow[];
}

const prefix = 'hc';
const rooms = 100;
const roomKinds = ['comment', 'reaction', 'purchase', 'question'];
const batchKinds = ['comment', 'reaction', 'purchase', 'question', 'share'];
const pad = (i: number) => String(i).padStart(6, '0');
const cases: ActivityCase[] = [
  'heartbeat',
  'backend event',
  'page event',
  'batch of 500',
  'heartbeat ×64',
];

async function redisCpuUs(client: RedisClient): Promise<number> {
  const info = await client.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

async function commandStats(client: RedisClient) {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const m of (await client.info('commandstats')).matchAll(
    /cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g,
  )) {
    stats.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return stats;
}

const accepted = (what: string) => (outcome: ActivityOutcome) => {
  if (!outcome.accepted) throw new Error(`${what} refused: ${JSON.stringify(outcome)}`);
};

export async function activityBench(
  options: ActivityOptions,
  log: (line: string) => void = console.log,
): Promise<ActivityResult> {
  const server = new RedisServer(options.redisPort);
  await server.start();
  const client = createRedisClient({ urls: [server.url], cluster: false, timeoutMs: 60_000 });
  // Long ttls (nothing expires), a short interval (a refresh is never too soon), the shipped
  // activity limits (20 kinds a room, one page event a second a session).
  const rules = {
    visibleTtlMs: 3_600_000,
    hiddenTtlMs: 3_600_000,
    leaveGraceMs: 5_000,
    visibleIntervalMs: 3,
    hiddenIntervalMs: 3,
  };
  const store = new RedisPresenceStore(client, rules, prefix, 60_000);
  try {
    await waitForReady(client, 10_000);
    const { calls } = options;
    // Heartbeat sessions and page sessions, each set over 100 rooms of its own.
    const beatOf = (set: 'h' | 'p', i: number): Heartbeat => ({
      room: `${set}${i % rooms}`,
      session: `${set}s${pad(i)}`,
      viewer: `${set}v${pad(i)}`,
      state: 'visible',
      address: `Ab${set}${pad(i)}CdEf`,
    });
    for (const set of ['h', 'p'] as const) {
      for (let i = 0; i < calls; i += 1_000) {
        await Promise.all(
          Array.from({ length: 1_000 }, (_, j) => store.heartbeat(beatOf(set, i + j))),
        );
      }
    }
    // Every room of the events already counts a few kinds.
    for (const set of ['a', 'p', 'b']) {
      await store
        .recordActivity(
          Array.from({ length: rooms }, (_, r) =>
            roomKinds.map((kind): ActivityEvent => ({ room: `${set}${r}`, kind, n: 1 })),
          ).flat(),
        )
        .then(accepted('seeding'));
    }
    const batchCalls = Math.max(1, Math.round(calls / 50));
    const batchOf = (c: number): ActivityEvent[] =>
      Array.from({ length: 500 }, (_, e) => ({
        room: `b${(c * 10 + Math.floor(e / 50)) % rooms}`,
        kind: batchKinds[e % batchKinds.length]!,
        n: 1,
      }));

    const run: Record<ActivityCase, () => Promise<{ calls: number; perCall: number }>> = {
      heartbeat: async () => {
        for (let i = 0; i < calls; i++) {
          const outcome = await store.heartbeat(beatOf('h', i));
          if (!outcome.accepted) throw new Error(`heartbeat refused: ${JSON.stringify(outcome)}`);
        }
        return { calls, perCall: 1 };
      },
      'heartbeat ×64': async () => {
        for (let i = 0; i + 64 <= calls; i += 64) {
          await Promise.all(
            Array.from({ length: 64 }, (_, j) => store.heartbeat(beatOf('h', i + j))),
          );
        }
        return { calls: Math.floor(calls / 64), perCall: 64 };
      },
      'backend event': async () => {
        for (let i = 0; i < calls; i++) {
          await store
            .recordActivity([{ room: `a${i % rooms}`, kind: 'comment', n: 1 }])
            .then(accepted('backend event'));
        }
        return { calls, perCall: 1 };
      },
      'page event': async () => {
        for (let i = 0; i < calls; i++) {
          const { room, session } = beatOf('p', i);
          await store
            .pageActivity({ room, session, kind: 'reaction', n: 1 })
            .then(accepted('page event'));
        }
        return { calls, perCall: 1 };
      },
      'batch of 500': async () => {
        for (let c = 0; c < batchCalls; c++) {
          await store.recordActivity(batchOf(c)).then(accepted('batch'));
        }
        return { calls: batchCalls, perCall: 500 };
      },
    };
    // One unmeasured pass of each case: script cache, JIT, every page session's first event.
    for (const c of cases) await run[c]();

    const rows: ActivityRow[] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (const c of round % 2 === 0 ? cases : [...cases].reverse()) {
        await client.config('RESETSTAT');
        const cpu0 = await redisCpuUs(client);
        const done = await run[c]();
        const cpuUs = ((await redisCpuUs(client)) - cpu0) / done.calls;
        const stats = await commandStats(client);
        const evalsha = stats.get('evalsha')?.usec ?? Number.NaN;
        let commands = 0;
        for (const [name, s] of stats) {
          if (!['config|resetstat', 'info'].includes(name)) commands += s.calls;
        }
        const row = {
          round,
          case: c,
          ...done,
          cpuUs,
          scriptUs: evalsha / done.calls,
          commands: commands / done.calls,
        };
        rows.push(row);
        log(`activity ${JSON.stringify(row)}`);
      }
    }
    return { options, rows };
  } finally {
    await store.close();
    await server.stop();
  }
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const range = (xs: number[], f: (n: number) => string) =>
  `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;

/** The table of docs/benchmarks.md ("Activity"): medians over the rounds, (range). */
export function activityTable({ rows }: ActivityResult): string[] {
  const refresh = new Map(rows.filter((r) => r.case === 'heartbeat').map((r) => [r.round, r]));
  const ticked = new Map(rows.filter((r) => r.case === 'heartbeat ×64').map((r) => [r.round, r]));
  const lines = [
    '| case | per call | Redis CPU µs per call | per heartbeat or event | to a refresh one a call | to a refresh of 64 a call | script µs per call | commands per call |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const c of cases) {
    const of = rows.filter((r) => r.case === c);
    const perCall = of[0]?.perCall ?? 1;
    lines.push(
      `| ${c} | ${perCall} | ${range(
        of.map((r) => r.cpuUs),
        f1,
      )} | ${range(
        of.map((r) => r.cpuUs / perCall),
        f2,
      )} | ${range(
        of.map((r) => r.cpuUs / perCall / refresh.get(r.round)!.cpuUs),
        f2,
      )} | ${range(
        of.map((r) => (r.cpuUs / perCall / ticked.get(r.round)!.cpuUs) * 64),
        f2,
      )} | ${range(
        of.map((r) => r.scriptUs),
        f1,
      )} | ${f1(median(of.map((r) => r.commands)))} |`,
    );
  }
  return lines;
}

export const activityOptions = (): ActivityOptions => ({
  rounds: Number(process.env.BENCH_ROUNDS ?? 5),
  calls: Number(process.env.BENCH_CALLS ?? 10_000),
  redisPort: Number(process.env.BENCH_REDIS_PORT ?? 6393),
});

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await activityBench(activityOptions());
  console.log(`\n${activityTable(result).join('\n')}`);
  process.exit(0);
}
