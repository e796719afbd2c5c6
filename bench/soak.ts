// The soak run: SOAK_SESSIONS simulated pages (default 50 000) in SOAK_ROOMS rooms (1 000), each
// beating at the interval the service tells it (±10 % jitter, as the client does), for
// SOAK_DURATION_S (300), against the built service on its own redis-server, on loopback.
// Every SOAK_SAMPLE_S (10) it records the service's memory (RSS), Redis memory, heartbeat latency
// p50/p99 of the window, and whether the counts are exact (the sum of every room's sessions equals
// the pages simulated: all are online at all times). Not part of `npm test`.
//   npm run build && npx tsx bench/soak.ts
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisServer, sparePort } from '../test/support/redis-server.js';

const run = promisify(execFile);
const sessions = Number(process.env.SOAK_SESSIONS ?? 50_000);
const rooms = Number(process.env.SOAK_ROOMS ?? 1_000);
const durationS = Number(process.env.SOAK_DURATION_S ?? 300);
const sampleS = Number(process.env.SOAK_SAMPLE_S ?? 10);
/** Requests on the wire at once, at most (pages are independent; this is the load generator's bound). */
const concurrency = Number(process.env.SOAK_CONCURRENCY ?? 128);
const adminToken = 'soak-admin-token-0123456789';
const browser =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (sorted: number[], q: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const redis = new RedisServer(await sparePort());
let service: ChildProcess | undefined;
try {
  await redis.start();
  const port = await sparePort();
  const base = `http://127.0.0.1:${port}`;
  service = spawn('node', ['dist/server.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      REDIS_URL: redis.url,
      DATA_DIR: 'memory://',
      ADMIN_TOKEN: adminToken,
      RATE_LIMIT_MAX: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 600) throw new Error('the service did not start');
    await sleep(100);
  }

  const roomOf = (i: number) => `soak-${i % rooms}`;
  const sessionOf = (i: number) => `soak-session-${i}`;
  // When each page beats next, epoch ms; spread over the first interval.
  const due = Float64Array.from({ length: sessions }, () => Date.now() + Math.random() * 15_000);
  let latencies: number[] = [];
  let failures = 0;
  let inFlight = 0;

  const beat = async (i: number) => {
    inFlight += 1;
    const started = performance.now();
    try {
      const response = await fetch(`${base}/v1/heartbeat`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'user-agent': browser },
        body: JSON.stringify({ room: roomOf(i), session: sessionOf(i) }),
      });
      const body = (await response.json()) as { interval?: number };
      latencies.push(performance.now() - started);
      if (response.status !== 200) failures += 1;
      const intervalMs = (body.interval ?? 15) * 1000;
      due[i] = Date.now() + intervalMs * (0.9 + Math.random() * 0.2);
    } catch {
      failures += 1;
      due[i] = Date.now() + 5_000;
    } finally {
      inFlight -= 1;
    }
  };

  // The pages: every 20 ms, start the heartbeats that are due, as many as the bound allows.
  let stop = false;
  const pages = (async () => {
    let cursor = 0;
    while (!stop) {
      const now = Date.now();
      for (let scanned = 0; scanned < sessions && inFlight < concurrency; scanned++) {
        const i = cursor;
        cursor = (cursor + 1) % sessions;
        if (due[i]! <= now) {
          due[i] = Number.POSITIVE_INFINITY; // in flight
          void beat(i);
        }
      }
      await sleep(20);
    }
  })();

  const counted = async () => {
    let total = 0;
    for (let r = 0; r < rooms; r += 100) {
      const names = Array.from({ length: Math.min(100, rooms - r) }, (_, k) => `soak-${r + k}`);
      const response = await fetch(`${base}/v1/counts?rooms=${names.join(',')}`);
      const body = (await response.json()) as { rooms: Record<string, { sessions: number }> };
      for (const c of Object.values(body.rooms)) total += c.sessions;
    }
    return total;
  };
  const serviceRss = async () => {
    const text = await (
      await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })
    ).text();
    return Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1]);
  };
  const redisMemory = async () =>
    Number(
      /used_memory:(\d+)/.exec(
        (await run('redis-cli', ['-p', String(redis.port), 'info', 'memory'])).stdout,
      )?.[1],
    );

  const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);
  console.log(
    `| t (s) | heartbeats | p50 ms | p99 ms | failed | counted sessions | service RSS MB | Redis MB |`,
  );
  console.log(`| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
  const started = Date.now();
  while (Date.now() - started < durationS * 1000) {
    await sleep(sampleS * 1000);
    const window = latencies.sort((a, b) => a - b);
    latencies = [];
    const f = failures;
    failures = 0;
    const t = Math.round((Date.now() - started) / 1000);
    console.log(
      `| ${t} | ${window.length} | ${quantile(window, 0.5).toFixed(1)} | ${quantile(window, 0.99).toFixed(1)} | ${f} | ${await counted()} / ${sessions} | ${mb(await serviceRss())} | ${mb(await redisMemory())} |`,
    );
  }
  stop = true;
  await pages;
} finally {
  service?.kill('SIGTERM');
  await redis.stop();
}
