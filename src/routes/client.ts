// GET /presence.js, /presence.mjs and /presence.d.ts: the browser client, built by
// `npm run build` into dist/client. Public, open to every origin, cached for five minutes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { HttpError } from '../errors.js';
import { notModified } from './cache.js';
import { errorResponses } from './schemas.js';

/** dist/client, from src/routes (tsx) as from dist/routes (node). */
export const defaultClientDir = fileURLToPath(new URL('../../dist/client/', import.meta.url));

const maxAgeS = 300;

const files = {
  'presence.js': 'application/javascript; charset=utf-8',
  'presence.mjs': 'application/javascript; charset=utf-8',
  'presence.d.ts': 'application/typescript; charset=utf-8',
} as const;

type FileName = keyof typeof files;

interface Asset {
  body: string;
  etag: string;
}

export interface ClientRoutesOptions {
  /** Where the built client is; dist/client by default. */
  clientDir?: string;
}

function load(dir: string, name: FileName): Asset | null {
  try {
    const body = readFileSync(join(dir, name), 'utf8');
    return {
      body,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    };
  } catch {
    return null;
  }
}

const clientRoutes: FastifyPluginAsyncTypebox<ClientRoutesOptions> = async (app, options) => {
  const dir = options.clientDir ?? defaultClientDir;
  const assets = new Map<FileName, Asset>();
  // Read once; a bundle built after the start is picked up by the first request that finds it.
  const asset = (name: FileName): Asset | null => {
    const known = assets.get(name);
    if (known) return known;
    const loaded = load(dir, name);
    if (loaded) assets.set(name, loaded);
    return loaded;
  };
  for (const name of Object.keys(files) as FileName[]) asset(name);

  for (const name of Object.keys(files) as FileName[]) {
    app.get(
      `/${name}`,
      {
        schema: {
          summary:
            name === 'presence.d.ts'
              ? 'Type declarations of the browser client'
              : `The browser client as ${name.endsWith('.mjs') ? 'an ES module' : 'a classic script'}`,
          tags: ['client'],
          response: {
            200: Type.String(),
            304: Type.Null(),
            ...errorResponses(404, 429),
          },
        },
      },
      async (request, reply) => {
        const found = asset(name);
        if (!found) {
          throw new HttpError(
            'not_found',
            `${name} is not built on this server: run npm run build`,
          );
        }
        // A static public file: any page may load it, also as a cross-origin module.
        reply
          .header('access-control-allow-origin', '*')
          .header('cross-origin-resource-policy', 'cross-origin')
          .header('x-content-type-options', 'nosniff');
        if (notModified(request, reply, found.etag, maxAgeS)) return reply;
        return reply.type(files[name]).send(found.body);
      },
    );
  }
};

export default clientRoutes;
