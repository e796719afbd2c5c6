// Bad input to the badge route is a 400 with the one error body, never an SVG or a 500.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { withClientRoutes } from '../support/browser.js';
import { testConfig, uniquePrefix } from '../support/stores.js';

describe('GET /v1/rooms/:room/badge.svg with bad input', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = await withClientRoutes(
      await buildApp({ config: testConfig({ REDIS_PREFIX: uniquePrefix('badge') }) }),
    );
    await app.ready();
  });
  afterAll(() => app.close());

  it.each([
    ['a character outside the alphabet', 'room%20one'],
    ['more than 128 characters', 'r'.repeat(129)],
  ])('refuses a room id with %s as invalid_room', async (_what, room) => {
    const res = await app.inject({ url: `/v1/rooms/${room}/badge.svg` });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      error: {
        code: 'invalid_room',
        message: 'room must be 1-128 characters of A-Z a-z 0-9 . _ : - @',
      },
    });
  });

  it('refuses a label longer than 40 characters as invalid_query', async () => {
    const res = await app.inject({ url: `/v1/rooms/stream/badge.svg?label=${'x'.repeat(41)}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_query');
  });
});
