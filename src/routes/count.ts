// GET /v1/rooms/:room/count and GET /v1/counts: what pages and dashboards poll. Public and
// cacheable: an ETag from the counts, Cache-Control, 304 on If-None-Match.
import { createHash } from 'node:crypto';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { HttpError } from '../errors.js';
import { fieldRules, isId } from '../ids.js';
import type { RoomCount } from '../presence/store.js';
import { countTag, notModified, publicCacheControl, sendJson } from './cache.js';
import { maxCountedRooms as maxRooms } from './count-guard.js';
import { Count, errorResponses, publicRoute, RoomParams } from './schemas.js';

/** A count as the API answers it: the store's fields, with times as ISO 8601. */
export const countBody = (room: string, { sessions, viewers, visible, peak, at }: RoomCount) => ({
  room,
  sessions,
  viewers,
  visible,
  peak: {
    sessions: peak.sessions,
    viewers: peak.viewers,
    at: peak.at === null ? null : new Date(peak.at).toISOString(),
  },
  at: new Date(at).toISOString(),
});

/** Answers made already: a cached count is one object (of one room) answered many times. */
const answers = new WeakMap<RoomCount, { room: string; json: string }>();

/**
 * The count's answer as JSON, serialised once per reading. The fields are those of the Count
 * schema in its order, so the text is what Fastify's serializer would have made of it.
 */
export function countJson(room: string, count: RoomCount): string {
  let answer = answers.get(count);
  if (answer === undefined || answer.room !== room) {
    answer = { room, json: JSON.stringify(countBody(room, count)) };
    answers.set(count, answer);
  }
  return answer.json;
}

const countRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Pages that show the count read it again after this many seconds (src/client/presence.ts).
  const cacheControl = {
    ...publicCacheControl(app.config.countMaxAgeS),
    'headcount-poll-interval': String(app.config.countPollS),
  };

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
      if (notModified(request, reply, countTag(count), cacheControl)) return reply;
      return sendJson(reply, countJson(request.params.room, count));
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
      const bad = rooms.find((r) => !isId(r));
      if (bad !== undefined)
        throw new HttpError('invalid_room', `${fieldRules.room} (got "${bad}")`);
      const counts = await app.store.counts(rooms);
      const tags = rooms.map((r) => countTag(counts.get(r)!)).join(',');
      if (notModified(request, reply, `W/"${hash(tags)}"`, cacheControl)) return reply;
      const at = new Date(Math.max(...[...counts.values()].map((c) => c.at))).toISOString();
      // The rooms' answers as they were serialised, in the order asked, under their room ids.
      const answers = rooms.map((r) => `${JSON.stringify(r)}:${countJson(r, counts.get(r)!)}`);
      return sendJson(reply, `{"rooms":{${answers.join(',')}},"at":"${at}"}`);
    },
  );
};

const hash = (text: string) => createHash('sha1').update(text).digest('base64url').slice(0, 16);

export default countRoutes;
