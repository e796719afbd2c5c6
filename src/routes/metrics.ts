// GET /metrics: Prometheus text for operators, behind the admin token like every admin route.
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { errorResponses } from './schemas.js';

const metricsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/metrics',
    {
      onRequest: app.verifyAdmin,
      // A scraper behind the same address as many pages must never be limited away.
      config: { rateLimit: false },
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        tags: ['operations'],
        security: [{ bearer: [] }],
        produces: ['text/plain'],
        response: {
          200: Type.String({ description: 'Prometheus text exposition format 0.0.4.' }),
          ...errorResponses(401, 403),
        },
      },
    },
    async (_request, reply) => {
      const { registry } = app.metrics;
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );
};

export default metricsRoutes;
