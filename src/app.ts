// Builds the Fastify app from its plugins; used by server.ts and by the tests.
import bearerAuth from '@fastify/bearer-auth';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyInstance,
  type FastifyServerOptions,
  type onRequestHookHandler,
} from 'fastify';
import type { Redis } from 'ioredis';
import snapshotPlugin from './archive/plugin.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import dbPlugin from './db/plugin.js';
import { HttpError } from './errors.js';
import { httpTimeouts } from './http-timeouts.js';
import { RequestLogAtDebug } from './logging.js';
import errors from './plugins/errors.js';
import loadShedding from './plugins/load-shedding.js';
import metricsPlugin from './plugins/metrics.js';
import storePlugin from './plugins/store.js';
import type { PresenceStore } from './presence/store.js';
import { routes } from './routes/index.js';
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

/** The body limit of every request, in bytes (SPEC: 2 KiB). */
export const bodyLimitBytes = 2048;

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
    bodyLimit: bodyLimitBytes,
    // Room ids are up to 128 characters; longer params get a 400 from validation, not a 414.
    routerOptions: { maxParamLength: 512 },
    trustProxy: config.trustProxy,
    ...httpTimeouts(config.http),
    // Unknown fields are dropped rather than refused, so older servers accept newer clients.
    ajv: { customOptions: { removeAdditional: 'all' } },
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

  const anyOrigin = config.corsOrigins.includes('*');
  await app.register(cors, {
    origin: anyOrigin ? '*' : config.corsOrigins,
    methods: ['GET', 'POST', 'OPTIONS'],
    exposedHeaders: ['Retry-After', 'ETag'],
    maxAge: 86_400,
  });
  // After CORS, so that a page can read the Retry-After of a 503 overloaded.
  await app.register(loadShedding, { config });

  await app.register(storePlugin, { config, store });
  await app.register(dbPlugin, { config, database });
  await app.register(snapshotPlugin, { config });
  await app.register(webhooksPlugin, { config });

  await app.register(rateLimit, {
    global: config.rateLimit.max > 0,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    // Kept in Redis when there is one, so the limit holds across instances.
    ...(app.redisClient
      ? { redis: app.redisClient as Redis, nameSpace: `${config.prefix}:rl:` }
      : {}),
    // A limiter that cannot reach Redis lets the request through to the store, which answers 503.
    skipOnError: true,
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

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Headcount',
        version: '1',
        description: 'How many people are here right now, and how many were here before.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  for (const route of routes) await app.register(route);
  return app;
}
