// Bounded waiting, whatever a client or a dependency does: a client that sends slowly or not at
// all loses its connection within the configured timeouts, and archive reads and /readyz answer
// 503 within DATABASE_TIMEOUT_MS when PostgreSQL hangs.
import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { type Database, openDatabase } from '../../src/db/client.js';
import { adminToken, sharedDatabase } from '../support/app.js';
import { closeTestDatabase, hasPostgres, postgresUrl, uniqueSchema } from '../support/databases.js';
import { testConfig, uniquePrefix } from '../support/stores.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const timeouts = {
  HTTP_HEADERS_TIMEOUT_MS: '500',
  HTTP_REQUEST_TIMEOUT_MS: '1000',
  HTTP_IDLE_TIMEOUT_MS: '800',
};

/** How long the server takes to close a raw connection after `start` was sent, ms. */
async function closedAfter(port: number, start: string, then?: (socket: Socket) => void) {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const started = Date.now();
  let answer = '';
  socket.on('data', (chunk) => {
    answer += String(chunk);
    then?.(socket);
  });
  socket.write(start);
  await new Promise((resolve) => socket.once('close', resolve));
  return { ms: Date.now() - started, answer };
}

describe('slow clients', () => {
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    app = await buildApp({
      config: testConfig({ ...timeouts, REDIS_PREFIX: uniquePrefix('slow') }),
      database: await sharedDatabase(),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(() => app?.close());

  it('closes a connection whose headers never end (HTTP_HEADERS_TIMEOUT_MS)', async () => {
    const { ms, answer } = await closedAfter(port, 'POST /v1/heartbeat HTTP/1.1\r\nHost: x\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(500 + 1_500);
  });

  it('closes a connection whose body never arrives (HTTP_REQUEST_TIMEOUT_MS)', async () => {
    const { ms, answer } = await closedAfter(
      port,
      'POST /v1/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"room":',
    );
    // Closed, with a 408 or without a word: either way the socket is free again.
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(1_000 + 1_500);
  });

  it('closes a kept-alive connection that sends nothing more (HTTP_IDLE_TIMEOUT_MS)', async () => {
    let answeredAt = 0;
    const { ms, answer } = await closedAfter(
      port,
      'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n',
      () => {
        answeredAt ||= Date.now();
      },
    );
    expect(answer).toMatch(/^HTTP\/1.1 200/);
    expect(answeredAt).toBeGreaterThan(0);
    expect(ms).toBeGreaterThanOrEqual(750);
    expect(ms).toBeLessThan(800 + 1_500);
  });
});

describe.skipIf(!hasPostgres)('a PostgreSQL that hangs', () => {
  let proxy: TcpProxy;
  let database: Database;
  let app: FastifyInstance;
  const databaseTimeoutMs = 500;
  beforeAll(async () => {
    proxy = await startTcpProxy(Number(new URL(postgresUrl).port || 5432));
    const url = new URL(postgresUrl);
    url.port = String(proxy.port);
    database = await openDatabase({
      databaseUrl: url.toString(),
      dataDir: '',
      schema: uniqueSchema('hang'),
      maxConnections: 2,
      statementTimeoutMs: databaseTimeoutMs,
    });
    app = await buildApp({
      config: testConfig({ DATABASE_TIMEOUT_MS: String(databaseTimeoutMs) }),
      database,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.restore();
    await closeTestDatabase(database);
    await proxy?.close();
  });

  it('answers /readyz and archive reads with 503 within DATABASE_TIMEOUT_MS, and recovers', async () => {
    const auth = { authorization: `Bearer ${adminToken}` };
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    proxy.stall();
    for (const url of [
      '/readyz',
      '/v1/rooms/hang/history',
      '/v1/rooms/hang/periods',
      '/v1/webhooks/deliveries',
    ]) {
      const started = Date.now();
      const response = await app.inject({ url, headers: auth });
      const ms = Date.now() - started;
      expect(response.statusCode, url).toBe(503);
      expect(response.headers['retry-after'], url).toBeDefined();
      expect(ms, url).toBeLessThan(databaseTimeoutMs + 1_000);
    }
    expect((await app.inject({ url: '/readyz' })).json()).toMatchObject({
      checks: { database: 'down' },
    });
    await proxy.restore();
    const deadline = Date.now() + 15_000;
    let ready = false;
    while (!ready && Date.now() < deadline) {
      ready = (await app.inject({ url: '/readyz' })).statusCode === 200;
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(ready).toBe(true);
  });
});
