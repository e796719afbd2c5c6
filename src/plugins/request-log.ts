// One log line per request, at debug level only (LOG_LEVEL=debug): at the default level a line
// per heartbeat would cost CPU on the hottest path and drown the lines that matter. Errors are
// logged by the error handler, with their stack and the request id.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export default fp(
  async (app: FastifyInstance) => {
    app.addHook('onResponse', async (request, reply) => {
      const level = request.log.level;
      if (level !== 'debug' && level !== 'trace') return;
      request.log.debug(
        {
          method: request.method,
          url: request.url,
          statusCode: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request completed',
      );
    });
  },
  { name: 'request-log' },
);
