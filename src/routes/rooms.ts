// GET /v1/rooms: active rooms for operators, largest first by default; searched by room id
// prefix, sorted and paged, so that a dashboard with 10 000 active rooms loads one page at a time.
// Admin token required.
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { ActiveRoom } from '../presence/store.js';
import { countBody } from './count.js';
import { Count, errorResponses } from './schemas.js';

const sorts = {
  sessions: (a: ActiveRoom, b: ActiveRoom) => b.sessions - a.sessions,
  viewers: (a: ActiveRoom, b: ActiveRoom) => b.viewers - a.viewers,
  peak: (a: ActiveRoom, b: ActiveRoom) => b.peak.sessions - a.peak.sessions,
  room: () => 0,
} as const;

/** Ties (and sort=room) by room id, in code-point order, so that pages never overlap. */
const byRoom = (a: ActiveRoom, b: ActiveRoom) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0);

const roomsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/rooms',
    {
      onRequest: app.verifyAdmin,
      schema: {
        summary: 'Active rooms with their counts: searched by prefix, sorted, paged',
        operationId: 'getRooms',
        tags: ['admin'],
        security: [{ bearer: [] }],
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
          offset: Type.Integer({
            minimum: 0,
            maximum: 1_000_000,
            default: 0,
            description: 'Rooms to skip (for the next pages).',
          }),
          prefix: Type.String({
            maxLength: 128,
            pattern: '^[A-Za-z0-9._:@-]*$',
            default: '',
            description: 'Only rooms whose id starts with this (case-sensitive).',
          }),
          sort: Type.Union(
            [
              Type.Literal('sessions'),
              Type.Literal('viewers'),
              Type.Literal('peak'),
              Type.Literal('room'),
            ],
            {
              default: 'sessions',
              description:
                'sessions, viewers or peak (of the live period): largest first; room: by id. Ties by id.',
            },
          ),
        }),
        response: {
          200: Type.Object({
            rooms: Type.Array(Count),
            total: Type.Integer({ description: 'Active rooms that match the prefix.' }),
            at: Type.String({ format: 'date-time' }),
          }),
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request) => {
      const { limit, offset, prefix, sort } = request.query;
      // The store counts every room it knows to find the active ones; the page is cut here.
      const active = await app.store.activeRooms(Number.MAX_SAFE_INTEGER);
      const matching = active
        .filter((r) => r.room.startsWith(prefix))
        .sort((a, b) => sorts[sort](a, b) || byRoom(a, b));
      const rooms = matching.slice(offset, offset + limit);
      const at = rooms.length > 0 ? Math.max(...rooms.map((r) => r.at)) : await app.store.now();
      return {
        rooms: rooms.map((r) => countBody(r.room, r)),
        total: matching.length,
        at: new Date(at).toISOString(),
      };
    },
  );
};

export default roomsRoutes;
