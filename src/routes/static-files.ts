// Built files served as they are (the browser client, the dashboard, uPlot) by @fastify/static:
// read from disk on each request, so a build made after the start is served without a restart,
// with ETag, Last-Modified, 304 and Cache-Control handled by the library.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from '../errors.js';

/** dist/client, from src/routes (tsx) as from dist/routes (node). */
export const defaultClientDir = fileURLToPath(new URL('../../dist/client/', import.meta.url));

/**
 * Gives this plugin's replies `sendFile(name, dir)`. Content types are the routes' own (the
 * library would call presence.d.ts a video), so it sets none.
 */
export async function registerStaticFiles(
  app: FastifyInstance,
  root: string,
  maxAgeS: number,
): Promise<void> {
  await app.register(fastifyStatic, {
    root,
    serve: false,
    contentType: false,
    cacheControl: true,
    maxAge: maxAgeS * 1000,
    etag: true,
    lastModified: true,
  });
}

/** Sends a file of dir with its type; one that is not there (not built yet) is a 404 that says so. */
export async function sendBuiltFile(
  reply: FastifyReply,
  dir: string,
  name: string,
  type: string,
): Promise<FastifyReply> {
  try {
    await access(join(dir, name));
  } catch {
    throw new HttpError('not_found', `${name} is not built on this server: run npm run build`);
  }
  return reply.type(type).sendFile(name, dir);
}
