// The admin surface: every route behind the admin token (its onRequest is app.verifyAdmin:
// rooms, history, periods, and any added later such as /metrics or webhook deliveries) answers
// with its own CORS (ADMIN_CORS_ORIGINS, none by default, never `*`), is never stored by a
// cache, and names the Bearer scheme on 401. Public routes keep CORS_ORIGINS.
import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, onSendHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** @fastify/cors: this route's CORS over the app's. */
    cors?: FastifyCorsOptions;
  }
  interface FastifyInstance {
    /** After every route: the preflight routes of the admin routes, with the admin CORS. */
    addAdminPreflights: () => void;
  }
}

/** The CORS of public routes (CORS_ORIGINS): static, so that no request pays for building it. */
export function publicCors(config: Config): FastifyCorsOptions {
  return {
    origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
    methods: ['GET', 'POST', 'OPTIONS'],
    exposedHeaders: ['Retry-After', 'ETag', 'Headcount-Poll-Interval'],
    maxAge: 86_400,
    // An OPTIONS request that is not a full preflight gets the same answer, not a text/plain 400
    // in a shape of the plugin's own.
    strictPreflight: false,
  };
}

/** The CORS of admin routes (ADMIN_CORS_ORIGINS), set on each admin route and its preflight. */
function adminCors(config: Config): FastifyCorsOptions {
  return {
    // false: no CORS headers, and a preflight is not answered.
    origin: config.adminCorsOrigins.length > 0 ? config.adminCorsOrigins : false,
    methods: ['GET', 'OPTIONS'],
    allowedHeaders: ['Authorization'],
    exposedHeaders: ['Retry-After'],
    maxAge: 600,
  };
}

const adminHeaders: onSendHookHandler = async (_request, reply, payload) => {
  reply.header('cache-control', 'no-store');
  if (reply.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="headcount"');
  return payload;
};

/**
 * Marks the routes added after it whose onRequest includes app.verifyAdmin, and gives each one an
 * OPTIONS route of its own with the admin CORS: a preflight is matched by its path, and would
 * otherwise get the public policy of the CORS plugin's catch-all OPTIONS route.
 */
export default fp(
  async (app: FastifyInstance, { config }: { config: Config }) => {
    const cors = adminCors(config);
    const preflights = new Set<string>();
    app.addHook('onRoute', (route) => {
      const onRequest = [route.onRequest ?? []].flat();
      if (!onRequest.includes(app.verifyAdmin)) return;
      route.config = { ...route.config, cors };
      route.onSend = [...[route.onSend ?? []].flat(), adminHeaders];
      preflights.add(route.url);
    });
    // Called once every route is known. The CORS hook answers a preflight whose origin is
    // allowed before the handler runs; any other has no such route.
    app.decorate('addAdminPreflights', () => {
      for (const url of preflights) {
        app.options(url, { config: { cors }, schema: { hide: true } }, (_request, reply) =>
          reply.callNotFound(),
        );
      }
    });
  },
  { name: 'admin-surface' },
);
