// What a log line per request costs on the heartbeat path: the service's CPU time per heartbeat
// with Fastify's default request logging (two JSON lines per request, at info) and without it
// (Headcount's default). The service runs in a child process logging JSON to /dev/null; autocannon
// drives it on loopback with distinct sessions.
//   npx tsx bench/logging.ts      (BENCH_DURATION_S=4 per run, BENCH_REPEATS=3 runs per mode)
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import autocannon from 'autocannon';

const durationS = Number(process.env.BENCH_DURATION_S ?? 4);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const port = 18190;
const browser =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

async function serve(logRequests: boolean) {
  const { buildApp } = await import('../src/app.js');
  const { loadConfig } = await import('../src/config.js');
  const config = loadConfig({
    ADMIN_TOKEN: 'bench-admin-token-0123456789',
    RATE_LIMIT_MAX: '0',
    SNAPSHOT_ENABLED: 'false',
    DATA_DIR: 'memory://',
  });
  const app = await buildApp({
    config,
    logger: { level: 'info', stream: createWriteStream('/dev/null') },
  });
  if (logRequests) {
    // What Fastify does when request logging is on (its default).
    app.addHook('onRequest', async (request) =>
      request.log.info({ req: request }, 'incoming request'),
    );
    app.addHook('onResponse', async (request, reply) =>
      request.log.info({ res: reply, responseTime: reply.elapsedTime }, 'request completed'),
    );
  }
  app.get('/bench/cpu', async () => {
    const { user, system } = process.cpuUsage();
    return { cpuUs: user + system };
  });
  await app.listen({ host: '127.0.0.1', port });
}

const cpuUs = async () =>
  ((await (await fetch(`http://127.0.0.1:${port}/bench/cpu`)).json()) as { cpuUs: number }).cpuUs;

async function waitUp() {
  for (let i = 0; i < 300; i++) {
    if (
      await cpuUs().then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the service did not come up');
}

async function measure(logRequests: boolean): Promise<{ usPerRequest: number; rps: number }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...process.execArgv, new URL(import.meta.url).pathname, 'serve', logRequests ? 'on' : 'off'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  try {
    await waitUp();
    let n = 0;
    const fire = (seconds: number) =>
      autocannon({
        url: `http://127.0.0.1:${port}`,
        connections: 32,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path: '/v1/heartbeat',
            headers: { 'content-type': 'application/json', 'user-agent': browser },
            setupRequest: (request) => {
              n += 1;
              return {
                ...request,
                body: JSON.stringify({ room: `room-${n % 1000}`, session: `session-${n}` }),
              };
            },
          },
        ],
      });
    await fire(1); // warm-up
    const before = await cpuUs();
    const result = await fire(durationS);
    const after = await cpuUs();
    return { usPerRequest: (after - before) / result.requests.total, rps: result.requests.average };
  } finally {
    child.kill('SIGKILL');
  }
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3] === 'on');
} else {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const on: number[] = [];
  const off: number[] = [];
  const rpsOn: number[] = [];
  const rpsOff: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const a = await measure(true);
    on.push(a.usPerRequest);
    rpsOn.push(a.rps);
    const b = await measure(false);
    off.push(b.usPerRequest);
    rpsOff.push(b.rps);
  }
  const withLogs = median(on);
  const without = median(off);
  console.log(
    `CPU per heartbeat, request logging on : ${withLogs.toFixed(1)} µs (${median(rpsOn).toFixed(0)} req/s)`,
  );
  console.log(
    `CPU per heartbeat, request logging off: ${without.toFixed(1)} µs (${median(rpsOff).toFixed(0)} req/s)`,
  );
  console.log(
    `share of the heartbeat path's CPU taken by request logging: ${(((withLogs - without) / withLogs) * 100).toFixed(1)} %`,
  );
}
