// GET /v1/rooms: active rooms for operators, largest first by default; searched by room id
// prefix, sorted and paged. The store reads the page from its indexes at a cost that grows with
// offset + limit, not with the number of rooms (docs/how-it-works.md, "The rooms list"). Admin
// token required.
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { idPrefixPattern, maxIdLength } from '../ids.js';
import { busiestAddress } from '../presence/concentration.js';
import type { AddressConcentration } from '../presence/store.js';
import { countBody } from './count.js';
import { Count, errorResponses } from './schemas.js';

/** How concentrated a room is by client address (hashed; never an address itself). */
const BusiestAddress = Type.Object(
  {
    sessions: Type.Integer({ description: 'Online sessions of the busiest client address.' }),
    share: Type.Number({
      minimum: 0,
      maximum: 1,
      description: "The busiest address's share of the room's online sessions (0 when empty).",
    }),
    concentrated: Type.Boolean({
      description:
        'The room has at least CONCENTRATION_MIN_SESSIONS sessions and its busiest address more than CONCENTRATION_SHARE of them.',
    }),
  },
  { description: 'How concentrated the room is by client address, read at the same time.' },
);

/** One page of active rooms, as GET /v1/rooms answers it. */
export const RoomsPage = Type.Object({
  rooms: Type.Array(Type.Intersect([Count, Type.Object({ busiest_address: BusiestAddress })])),
  total: Type.Integer({
    description:
      'Active rooms that match the prefix. On Redis: the rooms in its size index, which ' +
      'may include rooms that emptied since and wait (about a minute) for the archive.',
  }),
  at: Type.String({ format: 'date-time' }),
});

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
            maxLength: maxIdLength,
            pattern: idPrefixPattern,
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
                'sessions, viewers or peak (of the live period): largest first; room: by id. Ties by id. ' +
                'On Redis, peak orders the largest rooms by sessions (up to 4 × (offset + limit) + 200 of them).',
            },
          ),
        }),
        response: {
          200: RoomsPage,
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request) => {
      const page = await app.store.listRooms(request.query);
      const concentration = await app.store.concentration(page.rooms.map((r) => r.room));
      const addressesOf = (c: AddressConcentration) =>
        busiestAddress(c.sessions, c.busiestAddress, app.config.concentration);
      return {
        rooms: page.rooms.map((r) => ({
          ...countBody(r.room, r),
          busiest_address: addressesOf(concentration.get(r.room)!),
        })),
        total: page.total,
        at: new Date(page.at).toISOString(),
      };
    },
  );
};

export default roomsRoutes;
