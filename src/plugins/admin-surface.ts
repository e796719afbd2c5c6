// The admin surface: every route behind the admin token (its onRequest is app.verifyAdmin:
// rooms, history, periods, and any added later such as /metrics or webhook deliveries) answers
// with its own CORS (ADMIN_CORS_ORIGINS, none by default, never `*`), is never stored by a
// cache, and names the Bearer scheme on 401. Public routes keep CORS_ORIGINS.
import type { FastifyCorsOptions, FastifyCorsOptionsDelegateCallback } from '@fastify/cors';
import type { FastifyInstance, FastifyRequest, onSendHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on routes behind the admin token. */
    admin?: boolean;
  }
}

/** The URL patterns of the admin routes, filled as routes are added. */
export class AdminRoutes {
  private readonly patterns: RegExp[] = [];

  add(url: string): void {
    const source = url
      .split('/')
      .map((part) =>
        part.startsWith(':')
          ? '[^/]+'
          : part === '*'
            ? '.*'
            : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    this.patterns.push(new RegExp(`^${source}/?$`));
  }

  /** True when the request is for an admin route; a preflight is matched by its path. */
  has(request: FastifyRequest): boolean {
    if (request.method !== 'OPTIONS') return request.routeOptions.config.admin === true;
    const path = request.url.split('?')[0]!;
    return this.patterns.some((pattern) => pattern.test(path));
  }
}

/** CORS of the whole app: the public policy, and the admin one for admin routes. */
export function corsDelegator(
  config: Config,
  adminRoutes: AdminRoutes,
): FastifyCorsOptionsDelegateCallback {
  const anyOrigin = config.corsOrigins.includes('*');
  const publicCors: FastifyCorsOptions = {
    origin: anyOrigin ? '*' : config.corsOrigins,
    methods: ['GET', 'POST', 'OPTIONS'],
    exposedHeaders: ['Retry-After', 'ETag'],
    maxAge: 86_400,
    // An OPTIONS request that is not a full preflight gets the same answer, not a text/plain 400
    // in a shape of the plugin's own.
    strictPreflight: false,
  };
  const adminCors: FastifyCorsOptions = {
    // false: no CORS headers, and a preflight is not answered.
    origin: config.adminCorsOrigins.length > 0 ? config.adminCorsOrigins : false,
    methods: ['GET', 'OPTIONS'],
    allowedHeaders: ['Authorization'],
    exposedHeaders: ['Retry-After'],
    maxAge: 600,
  };
  return (request, callback) => callback(null, adminRoutes.has(request) ? adminCors : publicCors);
}

const adminHeaders: onSendHookHandler = async (_request, reply, payload) => {
  reply.header('cache-control', 'no-store');
  if (reply.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="headcount"');
  return payload;
};

/** Marks the routes added after it whose onRequest includes app.verifyAdmin. */
export default fp(
  async (app: FastifyInstance, { adminRoutes }: { adminRoutes: AdminRoutes }) => {
    app.addHook('onRoute', (route) => {
      const onRequest = [route.onRequest ?? []].flat();
      if (!onRequest.includes(app.verifyAdmin)) return;
      route.config = { ...route.config, admin: true };
      route.onSend = [...[route.onSend ?? []].flat(), adminHeaders];
      adminRoutes.add(route.url);
    });
  },
  { name: 'admin-surface' },
);
