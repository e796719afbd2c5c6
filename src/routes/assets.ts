// Built files served as they are (the browser client, the dashboard): read once, with a strong
// ETag from their content. A file that is missing is looked for again on the next request, so
// a build made after the start is served without a restart.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { notModified } from './cache.js';

/** dist/client, from src/routes (tsx) as from dist/routes (node). */
export const defaultClientDir = fileURLToPath(new URL('../../dist/client/', import.meta.url));

export interface Asset {
  body: string;
  etag: string;
}

function load(path: string): Asset | null {
  try {
    const body = readFileSync(path, 'utf8');
    return {
      body,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    };
  } catch {
    return null;
  }
}

/** A reader of files in dir; null while a file does not exist. */
export function assetReader(dir: string): (name: string) => Asset | null {
  const found = new Map<string, Asset>();
  return (name) => {
    const known = found.get(name);
    if (known) return known;
    const loaded = load(join(dir, name));
    if (loaded) found.set(name, loaded);
    return loaded;
  };
}

/** Sends a built file with its type and cache headers, 304 when the client has it already. */
export function sendAsset(
  request: FastifyRequest,
  reply: FastifyReply,
  asset: Asset | null,
  name: string,
  type: string,
  maxAgeS: number,
): FastifyReply {
  if (!asset)
    throw new HttpError('not_found', `${name} is not built on this server: run npm run build`);
  if (notModified(request, reply, asset.etag, maxAgeS)) return reply;
  return reply.type(type).send(asset.body);
}
