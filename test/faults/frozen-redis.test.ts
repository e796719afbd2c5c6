// A Redis that stops answering without closing its connections (SIGSTOP: a stalled host, a long
// command): under load, every request to every route still answers within
// STORE_TIMEOUT_MS plus 250 ms, with 503 and Retry-After where it needs the store, and everything
// answers 200 again once Redis goes on. The service is held to that bound by its own clock
// (test/support/request-timing.ts): from its request event to its answer, with the stretches a
// busy machine kept it waiting for a CPU past the store's deadline left out, so that what other
// work on the machine takes (this test's own sending included) is not counted against it. The
// load is 500 requests a second in CI and with HEADCOUNT_LONG=1, and 100 in a developer's run:
// the same routes in the same proportions, in every phase, at a fifth of the CPU.
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityToken, adminToken, browserAgent } from '../support/app.js';
import { longRuns } from '../support/long-runs.js';
import { inCI } from '../support/redis.js';
import { hasRedisServer, RedisServer, sparePort } from '../support/redis-server.js';
import { timingHeader } from '../support/request-timing.js';
import { type ServerProcess, startServer } from '../support/server-process.js';
import { uniquePrefix } from '../support/stores.js';

const available = await hasRedisServer();
if (!available) {
  if (inCI)
    throw new Error('redis-server is not installed: the frozen-Redis test cannot run in CI');
  console.warn('\n!!! redis-server is not installed: the frozen-Redis test is SKIPPED !!!\n');
}

const storeTimeoutMs = 1_000;
/** The promise: whatever the store does, an answer within this. */
const boundMs = storeTimeoutMs + 250;
const requestsPerSecond = longRuns ? 500 : 100;
const frozenMs = 5_000;

interface Sent {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  admin?: boolean;
  /** As a site's backend (ACTIVITY_TOKEN). */
  backend?: boolean;
}

let sessions = 0;
/** About three seconds of heartbeats. */
const heartbeatsPerRoomSet = 0.8 * requestsPerSecond;
const heartbeat = (): Sent => {
  const n = sessions++;
  // A few new rooms all along: their first heartbeat also writes the rooms index.
  return {
    method: 'POST',
    path: '/v1/heartbeat',
    body: JSON.stringify({
      room: `frozen-${n % 40}-${Math.floor(n / heartbeatsPerRoomSet)}`,
      session: `session-${n}`,
    }),
  };
};
const room = () => `frozen-${Math.floor(Math.random() * 40)}-0`;

/** One request of each route, by the route's method and pattern; the store's routes more often. */
const routes: Record<string, { make: () => Sent; weight: number }> = {
  'POST /v1/heartbeat': { make: heartbeat, weight: 12 },
  'POST /v1/leave': {
    make: () => ({
      method: 'POST',
      path: '/v1/leave',
      body: JSON.stringify({ room: room(), session: `session-${Math.floor(sessions / 2)}` }),
    }),
    weight: 2,
  },
  'GET /v1/rooms/:room/count': {
    make: () => ({ method: 'GET', path: `/v1/rooms/${room()}/count` }),
    weight: 8,
  },
  'GET /v1/counts': {
    make: () => ({ method: 'GET', path: `/v1/counts?rooms=${room()},${room()},${room()}` }),
    weight: 2,
  },
  'GET /v1/rooms/:room/badge.svg': {
    make: () => ({ method: 'GET', path: `/v1/rooms/${room()}/badge.svg` }),
    weight: 2,
  },
  'POST /v1/rooms/:room/activity': {
    make: () => ({
      method: 'POST',
      path: `/v1/rooms/${room()}/activity`,
      body: JSON.stringify({ kind: 'comment' }),
      backend: true,
    }),
    weight: 1,
  },
  'POST /v1/activity': {
    make: () => ({
      method: 'POST',
      path: '/v1/activity',
      body: JSON.stringify({ events: [{ room: room(), kind: 'comment', n: 2 }] }),
      backend: true,
    }),
    weight: 1,
  },
  'GET /v1/rooms/:room/viewers': {
    make: () => ({ method: 'GET', path: `/v1/rooms/${room()}/viewers?limit=20`, admin: true }),
    weight: 1,
  },
  'GET /v1/rooms': {
    make: () => ({ method: 'GET', path: '/v1/rooms?limit=20', admin: true }),
    weight: 1,
  },
  'GET /readyz': { make: () => ({ method: 'GET', path: '/readyz' }), weight: 1 },
  'GET /healthz': { make: () => ({ method: 'GET', path: '/healthz' }), weight: 1 },
  'GET /metrics': { make: () => ({ method: 'GET', path: '/metrics', admin: true }), weight: 1 },
  'GET /v1/rooms/:room/history': {
    make: () => ({ method: 'GET', path: `/v1/rooms/${room()}/history`, admin: true }),
    weight: 1,
  },
  'GET /v1/rooms/:room/periods': {
    make: () => ({ method: 'GET', path: `/v1/rooms/${room()}/periods`, admin: true }),
    weight: 1,
  },
  'GET /v1/rooms/:room/entries': {
    make: () => ({ method: 'GET', path: `/v1/rooms/${room()}/entries`, admin: true }),
    weight: 1,
  },
  'GET /v1/webhooks/deliveries': {
    make: () => ({ method: 'GET', path: '/v1/webhooks/deliveries', admin: true }),
    weight: 1,
  },
  'GET /presence.js': { make: () => ({ method: 'GET', path: '/presence.js' }), weight: 1 },
  'GET /presence.mjs': { make: () => ({ method: 'GET', path: '/presence.mjs' }), weight: 1 },
  'GET /presence.d.ts': { make: () => ({ method: 'GET', path: '/presence.d.ts' }), weight: 1 },
  'GET /headcount-count.js': {
    make: () => ({ method: 'GET', path: '/headcount-count.js' }),
    weight: 1,
  },
  'GET /headcount-viewers.js': {
    make: () => ({ method: 'GET', path: '/headcount-viewers.js' }),
    weight: 1,
  },
  'GET /dashboard': { make: () => ({ method: 'GET', path: '/dashboard' }), weight: 1 },
  'GET /docs/json': { make: () => ({ method: 'GET', path: '/docs/json' }), weight: 1 },
};

interface Answer {
  route: string;
  status: number;
  retryAfter: string | undefined;
  /** The error code of a 503. */
  code: string | undefined;
  /** As this process saw it: from sending to the end of the answer, ms. */
  seenMs: number;
  /** What the service took for it, by its own clock, ms (NaN: the service never answered it). */
  ms: number;
  sentAt: number;
  tag: string;
}

describe.skipIf(!available)(
  `a frozen Redis (SIGSTOP) under ${requestsPerSecond} requests a second`,
  () => {
    let server: RedisServer;
    let service: ServerProcess;
    let port: number;
    const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

    beforeAll(async () => {
      server = new RedisServer(await sparePort());
      await server.start();
      // The service in a process of its own, as it runs: the load below is not its CPU.
      service = await startServer(
        {
          REDIS_URL: server.url,
          REDIS_PREFIX: uniquePrefix('frozen'),
          STORE_TIMEOUT_MS: String(storeTimeoutMs),
          // The count cache as it runs by default: its single flight is one of the paths under test.
          COUNT_CACHE_MS: '250',
          ACTIVITY_TOKEN: activityToken,
          RATE_LIMIT_MAX: '0',
          // Every request takes the store's path: on a busy machine the event loop's delay (the
          // wait for a CPU included) would otherwise shed some as overloaded, a path of its own
          // (test/faults/overload.test.ts).
          SHED_EVENT_LOOP_DELAY_MS: '0',
        },
        { timing: true },
      );
      port = service.port;
    });
    afterAll(async () => {
      server?.thaw();
      agent.destroy();
      await service?.stop();
      await server?.stop();
    });

    let tags = 0;
    const send = (route: string, sent: Sent) =>
      new Promise<Answer>((resolve) => {
        const sentAt = performance.now();
        const tag = String(tags++);
        const headers: Record<string, string> = { 'user-agent': browserAgent, [timingHeader]: tag };
        if (sent.body !== undefined) headers['content-type'] = 'application/json';
        if (sent.admin) headers.authorization = `Bearer ${adminToken}`;
        if (sent.backend) headers.authorization = `Bearer ${activityToken}`;
        const req = request(
          { agent, host: '127.0.0.1', port, method: sent.method, path: sent.path, headers },
          (res) => {
            let body = '';
            res.on('data', (chunk) => {
              if (body.length < 200) body += String(chunk);
            });
            res.on('end', () =>
              resolve({
                route,
                status: res.statusCode ?? 0,
                retryAfter: res.headers['retry-after'],
                code: res.statusCode === 503 ? /"code":"(\w+)"/.exec(body)?.[1] : undefined,
                seenMs: performance.now() - sentAt,
                ms: Number.NaN,
                sentAt,
                tag,
              }),
            );
          },
        );
        // A connection that fails is an answer too (status 0), never a crash of the whole run.
        req.on('error', (err: NodeJS.ErrnoException) =>
          resolve({
            route,
            status: 0,
            retryAfter: undefined,
            code: err.code ?? err.message,
            seenMs: performance.now() - sentAt,
            ms: Number.NaN,
            sentAt,
            tag,
          }),
        );
        req.end(sent.body);
      });

    /**
     * Sends requestsPerSecond, in the routes' proportions, until `done` says so (asked after
     * `during`, so that what `during` does always happens); every answer, with what the service
     * took for it.
     */
    async function load(
      done: (elapsedMs: number) => boolean,
      during?: (elapsedMs: number) => void,
    ) {
      const cycle = Object.entries(routes).flatMap(([name, { weight }]) =>
        Array.from({ length: weight }, () => name),
      );
      const pending: Promise<Answer>[] = [];
      const started = performance.now();
      let sent = 0;
      for (;;) {
        const elapsed = performance.now() - started;
        during?.(elapsed);
        if (done(elapsed)) break;
        const due = Math.floor((elapsed * requestsPerSecond) / 1000);
        for (; sent < due; sent++) {
          const name = cycle[sent % cycle.length]!;
          pending.push(send(name, routes[name]!.make()));
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return timed(await Promise.all(pending));
    }

    /** The answers, each with what the service took for it (its line may follow the answer). */
    async function timed(answers: Answer[]): Promise<Answer[]> {
      const deadline = Date.now() + 10_000;
      const untimed = () =>
        answers.some((a) => a.status !== 0 && !service.timings.requests.has(a.tag));
      while (untimed() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const a of answers) a.ms = service.timings.tookMs(a.tag, storeTimeoutMs) ?? Number.NaN;
      return answers;
    }

    it('sends every route of the API document', async () => {
      const document = (await (await fetch(`http://127.0.0.1:${port}/docs/json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.keys(methods)
          .filter((m) => m === 'get' || m === 'post')
          .map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      );
      expect(documented.length).toBeGreaterThan(10);
      expect(documented.filter((r) => !(r in routes))).toEqual([]);
    });

    /**
     * One freeze under load: a second of traffic, frozenMs frozen, 1.5 s after; every answer. The
     * times are this process's: on a busy machine a phase may run long, never short.
     */
    async function freezeUnderLoad() {
      const warmMs = 1_000;
      let frozenAt = 0;
      let thawedAt = 0;
      const answers = await load(
        () => thawedAt > 0 && performance.now() - thawedAt >= 1_500,
        (elapsed) => {
          if (frozenAt === 0 && elapsed >= warmMs) {
            server.freeze();
            frozenAt = performance.now();
          }
          if (thawedAt === 0 && frozenAt > 0 && performance.now() - frozenAt >= frozenMs) {
            server.thaw();
            thawedAt = performance.now();
          }
        },
      );
      return { answers, frozenAt, thawedAt };
    }

    /** Per route: requests, the longest the service took (and this process saw), how many over. */
    const slowest = (answers: Answer[]) => {
      const byRoute: Record<
        string,
        { requests: number; maxMs: number; maxSeenMs: number; over: number }
      > = {};
      for (const a of answers) {
        byRoute[a.route] ??= { requests: 0, maxMs: 0, maxSeenMs: 0, over: 0 };
        const seen = byRoute[a.route]!;
        seen.requests++;
        seen.maxMs = Math.max(seen.maxMs, Math.round(a.ms));
        seen.maxSeenMs = Math.max(seen.maxSeenMs, Math.round(a.seenMs));
        // NaN (never answered by the service) is over too.
        if (!(a.ms <= boundMs)) seen.over++;
      }
      return byRoute;
    };

    it('answers every request within STORE_TIMEOUT_MS + 250 ms, 503 with Retry-After for the store', async () => {
      // A process that just started compiles as it goes; measured from its second second on.
      await load((elapsed) => elapsed >= 1_500);
      const { answers, frozenAt, thawedAt } = await freezeUnderLoad();
      const byRoute = slowest(answers);
      console.log(
        `frozen Redis: ${answers.length} requests at ${requestsPerSecond}/s, ${frozenMs} ms frozen; slowest per route, by the service's clock (as this process saw it):`,
        Object.fromEntries(
          Object.entries(byRoute).map(([r, s]) => [
            r,
            `${s.maxMs} ms (${s.maxSeenMs} ms) of ${s.requests}`,
          ]),
        ),
      );
      // Every request was answered and understood: a 4xx would hide what the store's path does.
      // (The page and client files are built by npm run build; without it they are 404.)
      expect(
        answers.filter(
          (a) => a.status === 0 || (a.status >= 400 && a.status < 500 && a.route.includes('/v1/')),
        ),
      ).toEqual([]);
      expect(Object.fromEntries(Object.entries(byRoute).filter(([, s]) => s.over > 0))).toEqual({});

      // While frozen, what needs the store says so: 503 with a Retry-After, never a 500.
      const frozen = answers.filter(
        (a) => a.sentAt >= frozenAt + 50 && a.sentAt < thawedAt - boundMs,
      );
      expect(frozen.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
      for (const a of frozen.filter((a) => a.status === 503)) {
        expect(Number(a.retryAfter), a.route).toBeGreaterThan(0);
      }
      for (const name of [
        'POST /v1/heartbeat',
        'GET /v1/rooms/:room/count',
        'GET /v1/rooms',
        'GET /readyz',
      ]) {
        expect(
          frozen.filter((a) => a.route === name && a.status === 503).length,
          name,
        ).toBeGreaterThan(0);
      }
      // The process itself stays live.
      expect(frozen.filter((a) => a.route === 'GET /healthz').every((a) => a.status === 200)).toBe(
        true,
      );
    }, 120_000);

    it('answers 200 again once Redis goes on', async () => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const answers = await Promise.all(
          ['POST /v1/heartbeat', 'GET /v1/rooms/:room/count', 'GET /v1/rooms', 'GET /readyz'].map(
            (name) => send(name, routes[name]!.make()),
          ),
        );
        if (answers.every((a) => a.status === 200)) break;
        expect(Date.now(), JSON.stringify(answers)).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
  },
);
