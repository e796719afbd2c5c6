// GET /v1/rooms/:room/entries on an archive filled by the real snapshot job: joins by entry over a
// range, most first, as JSON or CSV; admin only; bad ranges refused in the one error shape.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { auth, openArchiveApp } from '../support/archive-app.js';
import { archiveMinutes } from '../support/archive-seed.js';
import { closeTestDatabase, openTestDatabase } from '../support/databases.js';
import { roomPrefix } from '../support/readings.js';

const minuteMs = 60_000;
const startMs = Date.parse('2026-11-20T18:00:00Z');

describe('the entries route', () => {
  let database: Database;
  let app: FastifyInstance;
  const room = roomPrefix();

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    // 6 sessions join in the first minute (3 newsletter, 2 social, 1 direct); after two minutes
    // with nobody, 12 join in the fifth.
    await archiveMinutes(database, room, startMs, [6, 6, null, null, 12]);
    app = await openArchiveApp(database);
  });
  afterAll(async () => {
    await app?.close();
    await closeTestDatabase(database);
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ url, headers: { ...auth, ...headers } });
  const range = (fromMs: number, toMs: number) =>
    `from=${new Date(fromMs).toISOString()}&to=${new Date(toMs).toISOString()}`;

  it('sums the joins by entry over the range, most first', async () => {
    const res = await get(`/v1/rooms/${room}/entries?${range(startMs, startMs + 10 * minuteMs)}`);
    expect(res.statusCode).toBe(200);
    // The fifth minute's twelve are all joins (the first six had expired): 6 + 4 + 2 on top.
    expect(res.json()).toEqual({
      room,
      from: new Date(startMs).toISOString(),
      to: new Date(startMs + 10 * minuteMs).toISOString(),
      entries: [
        { entry: 'newsletter', joins: 9 },
        { entry: 'social', joins: 6 },
        { entry: 'direct', joins: 3 },
      ],
    });
  });

  it('counts only the periods that ended in the range', async () => {
    const res = await get(`/v1/rooms/${room}/entries?${range(startMs, startMs + 2 * minuteMs)}`);
    expect(res.json().entries).toEqual([
      { entry: 'newsletter', joins: 3 },
      { entry: 'social', joins: 2 },
      { entry: 'direct', joins: 1 },
    ]);
    const none = await get(
      `/v1/rooms/${room}/entries?${range(startMs - 60 * minuteMs, startMs - minuteMs)}`,
    );
    expect(none.json().entries).toEqual([]);
  });

  it('gives the same as CSV', async () => {
    const res = await get(
      `/v1/rooms/${room}/entries?${range(startMs, startMs + 2 * minuteMs)}&format=csv`,
    );
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.body).toBe('entry,joins\r\nnewsletter,3\r\nsocial,2\r\ndirect,1\r\n');
  });

  it('is for admins only', async () => {
    const res = await app.inject({ url: `/v1/rooms/${room}/entries` });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const wrong = await app.inject({
      url: `/v1/rooms/${room}/entries`,
      headers: { authorization: 'Bearer not-the-token-at-all-0000' },
    });
    expect(wrong.statusCode).toBe(403);
  });

  it('refuses a backwards range and a bad room with the error shape', async () => {
    const backwards = await get(`/v1/rooms/${room}/entries?${range(startMs, startMs - minuteMs)}`);
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json()).toEqual({
      error: { code: 'invalid_range', message: 'from must be before to' },
    });
    const bad = await get('/v1/rooms/no%20spaces/entries');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_room');
  });
});
