// Bad input to the history and periods routes gets a 400 with a code saying what is wrong, and a
// database that does not answer gets a 503, never a 500.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.js';
import { auth, openArchiveApp } from '../support/archive-app.js';
import { closeTestDatabase, databaseKinds, openTestDatabase } from '../support/databases.js';

describe.each(databaseKinds)('history and periods errors on $kind', ({ kind }) => {
  let database: Database;
  let app: FastifyInstance;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
    app = await openArchiveApp(database);
  });
  afterAll(async () => {
    await app?.close();
    await closeTestDatabase(database);
  });

  const errorOf = async (url: string) => {
    const res = await app.inject({ url, headers: auth });
    return {
      status: res.statusCode,
      code: (res.json() as { error: { code: string } }).error?.code,
    };
  };

  it.each([
    ['from that is not a time', '/v1/rooms/a/history?from=yesterday', 'invalid_range'],
    ['to that is not a time', '/v1/rooms/a/history?to=2026-13-45T99:00:00Z', 'invalid_range'],
    [
      'from after to',
      '/v1/rooms/a/history?from=2026-11-24T12:00:00Z&to=2026-11-24T10:00:00Z',
      'invalid_range',
    ],
    [
      'from equal to to',
      '/v1/rooms/a/history?from=1795000000000&to=1795000000000',
      'invalid_range',
    ],
    ['an unknown step', '/v1/rooms/a/history?step=2m', 'invalid_step'],
    [
      'more than 10 000 one-minute points',
      '/v1/rooms/a/history?from=2026-11-01&to=2026-11-10&step=1m',
      'range_too_large',
    ],
    [
      'more than 10 000 daily points',
      '/v1/rooms/a/history?from=0&to=1795000000000&step=1d',
      'range_too_large',
    ],
    ['an unknown format', '/v1/rooms/a/history?format=xml', 'invalid_query'],
    ['an unknown include', '/v1/rooms/a/history?include=entries', 'invalid_query'],
    ['an empty include', '/v1/rooms/a/history?include=', 'invalid_query'],
    [
      'include given twice',
      '/v1/rooms/a/history?include=activity&include=activity',
      'invalid_query',
    ],
    [
      'an unknown include as CSV',
      '/v1/rooms/a/history?include=Activity&format=csv',
      'invalid_query',
    ],
    ['a bad room id', '/v1/rooms/no%20spaces/history', 'invalid_room'],
    [
      'periods: from after to',
      '/v1/rooms/a/periods?from=2026-11-24T12:00:00Z&to=2026-11-24T10:00:00Z',
      'invalid_range',
    ],
    ['periods: a bad time', '/v1/rooms/a/periods?from=2026-11-24T25:00:00Z', 'invalid_range'],
    ['periods: a bad limit', '/v1/rooms/a/periods?limit=0', 'invalid_query'],
  ])('refuses %s with 400', async (_what, url, code) => {
    expect(await errorOf(url)).toEqual({ status: 400, code });
  });

  it('names the allowed values when include is not one of them', async () => {
    const res = await app.inject({ url: '/v1/rooms/a/history?include=entries', headers: auth });
    expect(res.json()).toEqual({
      error: {
        code: 'invalid_query',
        message: 'include must be equal to one of the allowed values',
      },
    });
  });

  it('answers 503 database_unavailable with Retry-After when the database does not answer', async () => {
    // A database that is gone: a closed PGlite, or a PostgreSQL port where nothing listens.
    const gone =
      kind === 'pglite'
        ? await openTestDatabase('pglite')
        : await openDatabase({
            databaseUrl: 'postgres://postgres@127.0.0.1:5449/none',
            dataDir: '',
            migrate: false,
          });
    if (kind === 'pglite') await gone.close();
    const broken = await openArchiveApp(gone);
    try {
      for (const url of ['/v1/rooms/a/history', '/v1/rooms/a/periods']) {
        const res = await broken.inject({ url, headers: auth });
        expect(res.statusCode).toBe(503);
        expect(res.headers['retry-after']).toBe('5');
        expect(res.json()).toEqual({
          error: {
            code: 'database_unavailable',
            message: 'the archive database is unavailable; retry shortly',
          },
        });
      }
    } finally {
      await broken.close();
      await gone.close();
    }
  });
});
