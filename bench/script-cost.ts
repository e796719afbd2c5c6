// What one heartbeat costs Redis at the script level, apart from HTTP and the service: 100 000
// sessions over 1 000 rooms, joined (or, after joining them, refreshed) 64 at a time, as 64 pages'
// heartbeats of one event-loop tick, each in a room of its own (the dearest case: one room's work
// per heartbeat). Reports Redis's time in the script (INFO commandstats) and its CPU (INFO cpu),
// per heartbeat. Starts a redis-server of its own on port 16498.
//   npx tsx bench/script-cost.ts [join|refresh] [--no-address]
// Run it on two checkouts in turn to compare them; figures vary by tens of percent between runs
// on a shared machine, so alternate the two and take medians (docs/benchmarks.md).
import { createRedisClient, waitForReady } from '../src/presence/redis-client.js';
import { RedisPresenceStore } from '../src/presence/redis-store.js';
import type { Heartbeat } from '../src/presence/store.js';
import { RedisServer } from '../test/support/redis-server.js';

const row = process.argv[2] === 'join' ? 'join' : 'refresh';
const withAddress = !process.argv.includes('--no-address');
const sessions = 100_000;
const perTick = 64;

const server = new RedisServer(16498);
await server.start();
const client = createRedisClient({ urls: [server.url], cluster: false, timeoutMs: 10_000 });
await waitForReady(client, 10_000);
// Long ttls so that nothing expires, and a short interval so that a refresh is never too soon.
const rules = {
  visibleTtlMs: 3_600_000,
  hiddenTtlMs: 3_600_000,
  leaveGraceMs: 5_000,
  visibleIntervalMs: 3,
  hiddenIntervalMs: 3,
};
const store = new RedisPresenceStore(client, rules, 'hc', 10_000);

const beat = (i: number) => {
  const id = String(i).padStart(8, '0');
  const hb: Heartbeat = {
    room: `r${i % 1000}`,
    session: `s${id}`,
    viewer: `v${id}`,
    state: 'visible',
  };
  if (withAddress) hb.address = `Ab${id}CdEfGh`;
  return store.heartbeat(hb);
};
const inTurn = async (size: number) => {
  for (let i = 0; i < sessions; i += size) {
    await Promise.all(Array.from({ length: size }, (_, j) => beat(i + j)));
  }
};
const cpuS = async () => {
  const info = await client.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
  return field('used_cpu_user') + field('used_cpu_sys');
};

try {
  if (row === 'refresh') await inTurn(5_000);
  await client.config('RESETSTAT');
  const before = await cpuS();
  await inTurn(perTick);
  const cpuUs = ((await cpuS()) - before) * 1e6;
  const stats = await client.info('commandstats');
  const [, calls, usec] = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(stats) ?? [];
  console.log(
    JSON.stringify({
      row,
      address: withAddress,
      scriptUsPerHeartbeat: Number((Number(usec) / sessions).toFixed(2)),
      redisCpuUsPerHeartbeat: Number((cpuUs / sessions).toFixed(2)),
      calls: Number(calls),
    }),
  );
} finally {
  await store.close();
  await server.stop();
}
