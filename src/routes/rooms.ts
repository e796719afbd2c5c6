// GET /v1/rooms: active rooms, largest first, for operators. Admin token required.
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { countBody } from './count.js';
import { Count, errorResponses } from './schemas.js';

const roomsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/rooms',
    {
      onRequest: app.verifyAdmin,
      schema: {
        summary: 'Active rooms, largest first, with their counts',
        operationId: 'getRooms',
        tags: ['admin'],
        security: [{ bearer: [] }],
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
        }),
        response: {
          200: Type.Object({ rooms: Type.Array(Count), at: Type.String({ format: 'date-time' }) }),
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request) => {
      const rooms = await app.store.activeRooms(request.query.limit);
      const at = rooms.length > 0 ? Math.max(...rooms.map((r) => r.at)) : await app.store.now();
      return { rooms: rooms.map((r) => countBody(r.room, r)), at: new Date(at).toISOString() };
    },
  );
};

export default roomsRoutes;
