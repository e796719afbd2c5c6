// Logs an operator can use: quiet on success, errors with stack and request id, JSON unless a
// person is watching, and never the admin token.
import { type AddressInfo, createServer } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loggerOptions } from '../src/logging.js';
import { adminToken, heartbeat, sharedDatabase } from './support/app.js';
import { testConfig, uniquePrefix } from './support/stores.js';
import { claimsFor, mintHs256, secretA } from './support/tokens.js';

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  err?: { message: string; stack: string };
  [key: string]: unknown;
}

/** The app with its log lines kept in memory, from the moment it is ready. */
async function openLoggedApp(level: string, env: Record<string, string> = {}) {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      raw.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const config = testConfig({ LOG_LEVEL: level, REDIS_PREFIX: uniquePrefix('log'), ...env });
  const app = await buildApp({
    config,
    database: await sharedDatabase(),
    logger: { ...loggerOptions(config, false), stream },
  });
  // A route of our own that fails, as a bug would.
  app.get('/test/fails', async () => {
    throw new Error('a bug in a handler');
  });
  await app.ready();
  raw.length = 0;
  return { app, raw, lines: () => raw.map((line) => JSON.parse(line) as LogLine) };
}

// Opening the embedded database takes seconds: once, before the tests.
beforeAll(async () => {
  await sharedDatabase();
});

let open: FastifyInstance | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe('at the default level', () => {
  it('writes no line for successful heartbeats, leaves and counts', async () => {
    const { app, raw } = await openLoggedApp('info');
    open = app;
    for (let i = 0; i < 20; i++) {
      const session = `session-quiet-${i}`;
      expect((await heartbeat(app, { room: 'quiet', session })).statusCode).toBe(200);
      expect((await app.inject({ url: '/v1/rooms/quiet/count' })).statusCode).toBe(200);
    }
    const leave = await app.inject({
      method: 'POST',
      url: '/v1/leave',
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify({ room: 'quiet', session: 'session-quiet-0' }),
    });
    expect(leave.statusCode).toBe(204);
    expect(raw).toEqual([]);
  });

  it('logs a fault of our own with its stack and request id, and answers a plain 500', async () => {
    const { app, lines } = await openLoggedApp('info');
    open = app;
    const response = await app.inject({ url: '/test/fails', headers: { 'request-id': 'x' } });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('a bug in a handler');
    const errors = lines().filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.reqId).toEqual(expect.any(String));
    expect(errors[0]?.err?.message).toBe('a bug in a handler');
    expect(errors[0]?.err?.stack).toContain('logging.test.ts');
  });
});

it('writes one line for an outage, however many requests it answers with 503', async () => {
  // A Redis that is not there: every store call fails at once, as during an outage.
  const closed = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const { app, lines } = await openLoggedApp('info', {
    REDIS_URL: `redis://127.0.0.1:${closed}`,
    STORE_TIMEOUT_MS: '200',
  });
  open = app;
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      heartbeat(app, { room: 'down', session: `session-down-${i}` }),
    ),
  );
  for (const answer of answers) {
    expect(answer.statusCode).toBe(503);
    expect(answer.json().error.code).toBe('store_unavailable');
  }
  const outage = lines().filter((l) => /store is unavailable/.test(l.msg));
  expect(outage).toHaveLength(1);
  expect(outage[0]).toMatchObject({ level: 40, requests: 1 });
  expect(outage[0]!.err?.stack).toBeDefined();
});

describe('at debug level', () => {
  it('writes the request and its completion, with status and duration', async () => {
    const { app, lines } = await openLoggedApp('debug');
    open = app;
    await heartbeat(app, { room: 'loud', session: 'session-loud-1' });
    const incoming = lines().filter((line) => line.msg === 'incoming request');
    const completed = lines().filter((line) => line.msg === 'request completed');
    expect(incoming).toHaveLength(1);
    expect(incoming[0]).toMatchObject({ level: 20, req: { method: 'POST', url: '/v1/heartbeat' } });
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ level: 20, res: { statusCode: 200 } });
    expect(completed[0]?.responseTime).toEqual(expect.any(Number));
    expect(completed[0]?.reqId).toBe(incoming[0]?.reqId);
  });
});

it('never logs the admin token, whatever is asked and at every level', async () => {
  const { app, raw } = await openLoggedApp('trace');
  open = app;
  const asAdmin = { authorization: `Bearer ${adminToken}` };
  await app.inject({ url: '/v1/rooms', headers: asAdmin });
  await app.inject({ url: '/metrics', headers: asAdmin });
  await app.inject({ url: '/v1/rooms', headers: { authorization: `Bearer ${adminToken}x` } });
  await app.inject({ url: '/v1/rooms', headers: { authorization: adminToken } });
  await app.inject({ url: '/test/fails', headers: asAdmin });
  app.log.info({ headers: asAdmin, config: app.config }, 'what a careless log call could do');
  expect(raw.length).toBeGreaterThan(5);
  expect(raw.join('\n')).not.toContain(adminToken);
});

it('never logs a viewer id or a name of the online list, at every level', async () => {
  const { app, raw } = await openLoggedApp('trace', {
    PRESENCE_SECRET: secretA,
    SIGNED_ROOMS: 'club-*',
  });
  open = app;
  const token = mintHs256(
    { ...claimsFor('club-log', 'viewer-secret-1'), name: 'Secretname' },
    secretA,
  );
  await heartbeat(app, { room: 'club-log', session: 'session-log-1', token });
  const asMember = { authorization: `Bearer ${token}` };
  const page = await app.inject({ url: '/v1/rooms/club-log/viewers?limit=1', headers: asMember });
  expect(page.json().viewers[0].name).toBe('Secretname');
  await app.inject({ url: '/v1/rooms/club-log/viewers?ids=viewer-secret-1', headers: asMember });
  const cursor = Buffer.from('1|viewer-secret-1').toString('base64url');
  await app.inject({ url: `/v1/rooms/club-log/viewers?cursor=${cursor}`, headers: asMember });
  await app.inject({ url: '/v1/rooms/club-log/viewers?ids=viewer-secret-1,bad%20id' });
  expect(raw.some((line) => line.includes('/viewers?[redacted]'))).toBe(true);
  const all = raw.join('\n');
  for (const secret of ['viewer-secret-1', 'Secretname', cursor]) expect(all).not.toContain(secret);
});

describe('the log format', () => {
  const config = testConfig();
  it('is JSON lines when stdout is not a terminal', () => {
    expect(loggerOptions({ ...config, logFormat: 'auto' }, false)).not.toHaveProperty('transport');
  });
  it('is pino-pretty in a terminal, unless told JSON', () => {
    expect(loggerOptions({ ...config, logFormat: 'auto' }, true)).toMatchObject({
      transport: { target: 'pino-pretty' },
    });
    expect(loggerOptions({ ...config, logFormat: 'json' }, true)).not.toHaveProperty('transport');
  });
});
