// The client routes on a server where `npm run build` did not build the client: a clear 404.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient } from '../../src/client/build.js';
import errors from '../../src/plugins/errors.js';
import clientRoutes from '../../src/routes/client.js';

describe('the browser client routes on a server where it was not built', () => {
  let app: FastifyInstance;
  let emptyDir: string;

  beforeAll(async () => {
    emptyDir = await mkdtemp(join(tmpdir(), 'headcount-no-client-'));
    app = Fastify();
    await app.register(errors);
    await app.register(clientRoutes, { clientDir: emptyDir });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await rm(emptyDir, { recursive: true, force: true });
  });

  it('answers not_found saying how to build it, not a 500', async () => {
    const res = await app.inject({ url: '/presence.js' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: {
        code: 'not_found',
        message: 'presence.js is not built on this server: run npm run build',
      },
    });
  });

  it('serves the client as soon as it is built, without a restart', async () => {
    await buildClient(emptyDir);
    const res = await app.inject({ url: '/presence.js' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^"use strict";var Headcount=/);
  });
});
