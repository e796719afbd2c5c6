// Builds the Fastify app from its plugins; used by server.ts and by the tests.
import bearerAuth from '@fastify/bearer-auth';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyInstance,
  type FastifyServerOptions,
  type onRequestHookHandler,
} from 'fastify';
import { webhookPayloads } from './archive/payloads.js';
import snapshotPlugin from './archive/plugin.js';
import presenceToken from './auth/plugin.js';
import { bodyLimitBytes as defaultBodyLimit } from './body-limits.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import dbPlugin from './db/plugin.js';
import { HttpError } from './errors.js';
import { httpTimeouts } from './http-timeouts.js';
import { RequestLogAtDebug } from './logging.js';
import adminSurface, { publicCors } from './plugins/admin-surface.js';
import errors, { frameworkErrorOptions } from './plugins/errors.js';
import loadShedding from './plugins/load-shedding.js';
import metricsPlugin from './plugins/metrics.js';
import storePlugin from './plugins/store.js';
import type { PresenceStore } from './presence/store.js';
import type {} from './readiness.js';
import { answeredFromCache } from './routes/count-guard.js';
import { routes } from './routes/index.js';
import { pageHelmet } from './routes/security-headers.js';
import { trustProxyOption } from './trust-proxy.js';
import webhooksPlugin from './webhooks/plugin.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    /** onRequest hook for admin and analyst routes: Authorization: Bearer ADMIN_TOKEN. */
    verifyAdmin: onRequestHookHandler;
  }
}

export interface AppOptions {
  config: Config;
  /** A store built by the caller (tests); otherwise one is built from config. */
  store?: PresenceStore;
  /** An archive database opened by the caller (tests share one); it stays open after close. */
  database?: Database;
  logger?: FastifyServerOptions['logger'];
}

export { bodyLimitBytes } from './body-limits.js';

export async function buildApp({
  config,
  store,
  database,
  logger = false,
}: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger,
    // Request lines at debug only: no line per heartbeat at the default level.
    logController: new RequestLogAtDebug(),
    // Creating an embedded database directory on a first start can take tens of seconds.
    pluginTimeout: 120_000,
    bodyLimit: defaultBodyLimit,
    // Room ids are up to 128 characters; longer params get a 400 from validation, not a 414.
    routerOptions: { maxParamLength: 512 },
    trustProxy: trustProxyOption(config.trustProxy),
    ...httpTimeouts(config.http),
    // Unknown fields are dropped rather than refused, so older servers accept newer clients.
    ajv: { customOptions: { removeAdditional: 'all' } },
    ...frameworkErrorOptions,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('config', config);
  app.decorate('readinessChecks', []);
  await app.register(errors);
  await app.register(metricsPlugin);

  // sendBeacon with a string body sends text/plain, which needs no CORS preflight.
  app.addContentTypeParser(
    'text/plain',
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  );

  // Public routes' CORS; admin routes carry their own (plugins/admin-surface.ts).
  await app.register(cors, publicCors(config));
  // After CORS, so that a page can read the Retry-After of a 503 overloaded.
  await app.register(loadShedding, { config });

  await app.register(storePlugin, { config, store });
  await app.register(dbPlugin, { config, database });
  await app.register(snapshotPlugin, { config });
  await app.register(presenceToken, { config });
  await app.register(webhooksPlugin, { config });

  // The per-address limit is kept in this process, so a heartbeat stays one Redis round trip; each
  // instance counts its own requests (rule 8: it only stops floods far beyond what people send).
  await app.register(rateLimit, {
    global: config.rateLimit.max > 0,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    cache: config.rateLimit.addresses,
    // A count answered from this instance's cache cannot reach the store (routes/count-guard.ts).
    allowList: (request) => answeredFromCache(request, (room) => app.store.isCached(room)),
    // Its headers on refusals only: pages never read them, and every heartbeat would carry three.
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    errorResponseBuilder: (_request, context) =>
      new HttpError(
        'rate_limited',
        `too many requests from this address: ${context.max} per ${context.after} at most`,
        Math.ceil(context.ttl / 1000),
      ),
  });

  await app.register(bearerAuth, {
    keys: [config.adminToken],
    addHook: false,
    verifyErrorLogLevel: 'info',
  });
  app.decorate('verifyAdmin', app.verifyBearerAuth!);
  await app.register(adminSurface, { config });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Headcount',
        version: '1',
        description: 'How many people are here right now, and how many were here before.',
        license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
      },
      servers: [{ url: '/', description: 'This Headcount instance' }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        // Not served by a route but sent to WEBHOOK_URL: documented beside the answers.
        schemas: webhookPayloads,
      },
    },
  });
  // The API document's page gets the same headers as the dashboard, in a scope of its own.
  await app.register(async (docs) => {
    await docs.register(helmet, pageHelmet);
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });

  for (const route of routes) await app.register(route);
  app.addAdminPreflights();
  return app;
}
