// Activity beside presence (SPEC 10): POST /v1/rooms/:room/activity for one kind in one room, from
// a site's backend (Authorization: Bearer ACTIVITY_TOKEN) or from a page (for a session online in
// the room, a kind PAGE_ACTIVITY_KINDS names, one a second); POST /v1/activity for a backend's
// batch. Every event of a request is counted, or none.
import { createHash, timingSafeEqual } from 'node:crypto';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { activityBatchLimitBytes } from '../body-limits.js';
import { HttpError } from '../errors.js';
import {
  type ActivityEvent,
  type ActivityOutcome,
  defaultActivityMaxKinds,
} from '../presence/store.js';
import { errorResponses, publicRoute, RoomId, RoomParams, SessionId } from './schemas.js';

/** The most events one batch may carry. */
export const maxEventsPerBatch = 500;

export const ActivityKind = Type.String({
  pattern: '^[a-z][a-z0-9_-]{0,31}$',
  description: 'What happened: comment, reaction, purchase, question…',
});
const Count = Type.Integer({ minimum: 1, maximum: 1000, default: 1, description: 'How many.' });

const Counted = Type.Object({
  counted: Type.Integer({ description: 'Events counted (the sum of n).' }),
  at: Type.String({ format: 'date-time', description: 'Store time they were counted at.' }),
});

const activityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { token, pageKinds } = app.config.activity;
  const secret = token === null ? null : createHash('sha256').update(token).digest();
  const pageMay = new Set(pageKinds);
  const maxKinds = app.config.rules.activityMaxKinds ?? defaultActivityMaxKinds;

  /** True for the backend's bearer secret; false with none; 401 for any other credential. */
  function fromBackend(request: FastifyRequest): boolean {
    const header = request.headers.authorization;
    if (header === undefined) return false;
    const [scheme, given] = header.split(' ');
    const ok =
      secret !== null &&
      scheme?.toLowerCase() === 'bearer' &&
      given !== undefined &&
      timingSafeEqual(createHash('sha256').update(given).digest(), secret);
    if (!ok) throw new HttpError('unauthorized', 'the bearer token is not ACTIVITY_TOKEN');
    return true;
  }

  const answer = (outcome: ActivityOutcome, events: readonly ActivityEvent[]) => {
    if (!outcome.accepted) throw refusal(outcome, maxKinds);
    const counted = events.reduce((sum, e) => sum + e.n, 0);
    return { counted, at: new Date(outcome.at).toISOString() };
  };

  app.post(
    '/v1/rooms/:room/activity',
    {
      schema: {
        summary:
          'Count activity in a room: from a site backend, or from a page of an online session',
        description:
          "A site's backend authorises with Authorization: Bearer ACTIVITY_TOKEN. A page sends its session instead (JSON as application/json or text/plain, as sendBeacon does), for a kind PAGE_ACTIVITY_KINDS names, one event a second per session.",
        operationId: 'postActivity',
        tags: ['activity'],
        consumes: ['application/json', 'text/plain'],
        ...publicRoute,
        params: RoomParams,
        body: Type.Object({
          kind: ActivityKind,
          n: Count,
          session: Type.Optional(SessionId),
        }),
        response: { 200: Counted, ...errorResponses(400, 401, 403, 409, 413, 415, 429, 503) },
      },
    },
    async (request) => {
      const { room } = request.params;
      const { kind, n, session } = request.body;
      const event = { room, kind, n };
      if (fromBackend(request)) return answer(await app.store.recordActivity([event]), [event]);
      if (session === undefined) {
        throw new HttpError(
          'unauthorized',
          "send Authorization: Bearer ACTIVITY_TOKEN (a site's backend), or a page's session",
        );
      }
      if (!pageMay.has(kind)) {
        throw new HttpError(
          'kind_forbidden',
          `pages may send only the kinds PAGE_ACTIVITY_KINDS names${pageKinds.length ? ` (${pageKinds.join(', ')})` : ' (none here)'}`,
        );
      }
      return answer(await app.store.pageActivity({ ...event, session }), [event]);
    },
  );

  app.post(
    '/v1/activity',
    {
      bodyLimit: activityBatchLimitBytes,
      schema: {
        summary: `Count a site backend's activity in any rooms: up to ${maxEventsPerBatch} events, all or none`,
        operationId: 'postActivityBatch',
        tags: ['activity'],
        security: [{ bearer: [] }],
        body: Type.Object({
          events: Type.Array(Type.Object({ room: RoomId, kind: ActivityKind, n: Count }), {
            minItems: 1,
            maxItems: maxEventsPerBatch,
          }),
        }),
        response: { 200: Counted, ...errorResponses(400, 401, 413, 415, 429, 503) },
      },
    },
    async (request) => {
      if (!fromBackend(request)) {
        throw new HttpError('unauthorized', 'send Authorization: Bearer ACTIVITY_TOKEN');
      }
      const { events } = request.body;
      return answer(await app.store.recordActivity(events), events);
    },
  );
};

function refusal(outcome: Extract<ActivityOutcome, { accepted: false }>, maxKinds: number) {
  switch (outcome.reason) {
    case 'too_many_kinds':
      return new HttpError(
        'too_many_kinds',
        `room ${outcome.room} would count more than ${maxKinds} kinds of activity in this period (ACTIVITY_MAX_KINDS): nothing was counted`,
      );
    case 'offline':
      return new HttpError(
        'session_offline',
        'this session is not online in the room: send a heartbeat first',
      );
    case 'too_fast':
      return new HttpError(
        'rate_limited',
        'this session sent activity too fast: one event a second at most',
        Math.ceil((outcome.retryAfterMs ?? 1000) / 1000),
      );
  }
}

export default activityRoutes;
