// GET /v1/rooms/:room/count and GET /v1/counts: what pages and dashboards poll. Public and
// cacheable: an ETag from the counts, Cache-Control, 304 on If-None-Match.
import { createHash } from 'node:crypto';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { HttpError } from '../errors.js';
import type { RoomCount } from '../presence/store.js';
import { countTag, notModified } from './cache.js';
import { Count, errorResponses, fieldRules, publicRoute, RoomParams } from './schemas.js';

const maxRooms = 100;
const roomPattern = /^[A-Za-z0-9._:@-]{1,128}$/;

const bodyOf = (room: string, { peak, at, ...counts }: RoomCount) => ({
  room,
  ...counts,
  peak: { ...peak, at: peak.at === null ? null : new Date(peak.at).toISOString() },
  at: new Date(at).toISOString(),
});

/** Bodies made already: a cached count is one object (of one room) answered many times. */
const bodies = new WeakMap<RoomCount, ReturnType<typeof bodyOf>>();

/** A count as the API answers it: the store's fields, with times as ISO 8601. */
export function countBody(room: string, count: RoomCount): ReturnType<typeof bodyOf> {
  let body = bodies.get(count);
  if (body === undefined || body.room !== room) {
    body = bodyOf(room, count);
    bodies.set(count, body);
  }
  return body;
}

const countRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const maxAgeS = app.config.countMaxAgeS;

  app.get(
    '/v1/rooms/:room/count',
    {
      schema: {
        summary: 'Live count of one room (zeros for an empty or unknown room)',
        operationId: 'getCount',
        ...publicRoute,
        tags: ['presence'],
        params: RoomParams,
        response: { 200: Count, 304: Type.Null(), ...errorResponses(400, 429, 503) },
      },
    },
    async (request, reply) => {
      const count = await app.store.count(request.params.room);
      if (notModified(request, reply, countTag(count), maxAgeS)) return reply;
      return countBody(request.params.room, count);
    },
  );

  app.get(
    '/v1/counts',
    {
      schema: {
        summary: `Live counts of up to ${maxRooms} rooms in one call`,
        operationId: 'getCounts',
        ...publicRoute,
        tags: ['presence'],
        querystring: Type.Object({
          rooms: Type.String({ minLength: 1, description: 'Comma-separated room ids.' }),
        }),
        response: {
          200: Type.Object({
            rooms: Type.Record(Type.String(), Count),
            at: Type.String({ format: 'date-time' }),
          }),
          ...errorResponses(400, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const rooms = [...new Set(request.query.rooms.split(','))];
      if (rooms.length > maxRooms) {
        throw new HttpError('too_many_rooms', `ask for at most ${maxRooms} rooms per call`);
      }
      const bad = rooms.find((r) => !roomPattern.test(r));
      if (bad !== undefined)
        throw new HttpError('invalid_room', `${fieldRules.room} (got "${bad}")`);
      const counts = await app.store.counts(rooms);
      const tags = rooms.map((r) => countTag(counts.get(r)!)).join(',');
      if (notModified(request, reply, `W/"${hash(tags)}"`, maxAgeS)) return reply;
      const at = Math.max(...[...counts.values()].map((c) => c.at));
      return {
        rooms: Object.fromEntries(rooms.map((r) => [r, countBody(r, counts.get(r)!)])),
        at: new Date(at).toISOString(),
      };
    },
  );
};

const hash = (text: string) => createHash('sha1').update(text).digest('base64url').slice(0, 16);

export default countRoutes;
