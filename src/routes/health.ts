// GET /healthz (the process answers) and GET /readyz (its stores answer) for orchestrators.
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { readinessRetryAfterS } from '../errors.js';
import type { ReadinessCheck } from '../readiness.js';
import { publicRoute } from './schemas.js';

const Check = Type.Union([Type.Literal('up'), Type.Literal('down')]);

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const noLimit = { rateLimit: false } as const;

  app.get(
    '/healthz',
    {
      config: noLimit,
      schema: {
        summary: 'Liveness: the process answers',
        operationId: 'getHealth',
        ...publicRoute,
        tags: ['operations'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: noLimit,
      schema: {
        summary: 'Readiness: the presence store (and database) answer',
        operationId: 'getReadiness',
        ...publicRoute,
        tags: ['operations'],
        response: {
          '2xx': Type.Object({
            status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
            checks: Type.Record(Type.String(), Check),
          }),
          503: Type.Object({
            status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
            checks: Type.Record(Type.String(), Check),
          }),
        },
      },
    },
    async (_request, reply) => {
      const all: ReadinessCheck[] = [
        { name: 'store', check: () => app.store.ping() },
        ...app.readinessChecks,
      ];
      const results = await Promise.all(
        all.map(async ({ name, check }) => {
          const up = await check().then(
            () => true,
            () => false,
          );
          return [name, up ? 'up' : 'down'] as const;
        }),
      );
      const down = results.filter(([, state]) => state === 'down').map(([name]) => name);
      const ready = down.length === 0;
      if (!ready) reply.code(503).header('retry-after', String(readinessRetryAfterS(down)));
      return {
        status: ready ? ('ready' as const) : ('unavailable' as const),
        checks: Object.fromEntries(results),
      };
    },
  );
};

export default healthRoutes;
