// The history and periods routes are for analysts and admins: Authorization: Bearer ADMIN_TOKEN.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { adminToken, openArchiveApp } from '../support/archive-app.js';
import { closeTestDatabase, openTestDatabase } from '../support/databases.js';
import { roomPrefix } from '../support/readings.js';
import { seedSnapshots } from '../support/seed.js';

describe('history and periods security', () => {
  let database: Database;
  let app: FastifyInstance;
  let room: string;
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    app = await openArchiveApp(database);
    room = roomPrefix();
    await seedSnapshots(database, room, [
      { start: new Date(Date.now() - 3_600_000).toISOString(), sessions: 7 },
    ]);
  });
  afterAll(async () => {
    await app?.close();
    await closeTestDatabase(database);
  });

  const routes = () => [
    `/v1/rooms/${room}/history`,
    `/v1/rooms/${room}/periods`,
    `/v1/rooms/${room}/history?format=csv`,
  ];

  it('answers 401 unauthorized without a token, and shows no data', async () => {
    for (const url of routes()) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'unauthorized' } });
      expect(res.body).not.toContain('"points"');
    }
  });

  it('answers 403 forbidden with a wrong token, and shows no data', async () => {
    for (const url of routes()) {
      for (const authorization of [
        `Bearer ${adminToken}x`,
        'Bearer wrong-token-0123456789',
        `bearer${adminToken}`,
      ]) {
        const res = await app.inject({ url, headers: { authorization } });
        expect([401, 403]).toContain(res.statusCode);
        expect(res.body).not.toContain('"points"');
        if (authorization.startsWith('Bearer ')) {
          expect(res.statusCode).toBe(403);
          expect(res.json()).toMatchObject({ error: { code: 'forbidden' } });
        }
      }
    }
  });

  it('answers 200 with the right token', async () => {
    const res = await app.inject({
      url: `/v1/rooms/${room}/history`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.statusCode).toBe(200);
    expect((res.json() as { points: unknown[] }).points).toHaveLength(1);
  });

  it('treats a room id that looks like SQL as a bad room id, not as SQL', async () => {
    const res = await app.inject({
      url: `/v1/rooms/${encodeURIComponent("x' OR '1'='1")}/history`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'invalid_room' } });
  });
});
