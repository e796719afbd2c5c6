// POST /v1/heartbeat and POST /v1/leave: what pages send. JSON or text/plain (sendBeacon).
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { isbot } from 'isbot';
import { LRUCache } from 'lru-cache';
import { HttpError } from '../errors.js';
import type { RefusalReason } from '../presence/store.js';
import {
  errorResponses,
  PresenceToken,
  publicRoute,
  RoomId,
  SessionId,
  State,
  ViewerId,
} from './schemas.js';

const HeartbeatBody = Type.Object({
  room: RoomId,
  session: SessionId,
  viewer: Type.Optional(ViewerId),
  state: Type.Optional(State),
  entry: Type.Optional(Type.String({ maxLength: 64, description: 'Where the viewer came from.' })),
  token: Type.Optional(PresenceToken),
});

const HeartbeatResponse = Type.Object({
  room: RoomId,
  session: SessionId,
  sessions: Type.Integer({ description: 'Online sessions in the room after this heartbeat.' }),
  viewers: Type.Integer({ description: 'Distinct online viewers in the room.' }),
  interval: Type.Integer({ description: 'Seconds until the next heartbeat (add ±10 % jitter).' }),
  ttl: Type.Integer({
    description: 'Seconds this session stays online without another heartbeat.',
  }),
  counted: Type.Boolean({ description: 'false when the client was recognised as a bot.' }),
});

const LeaveBody = Type.Object({
  room: RoomId,
  session: SessionId,
  token: Type.Optional(PresenceToken),
});

interface Timing {
  intervalS: number;
  ttlS: number;
}

/** The heartbeat response, built in one object on the hot path; under load or in a large room stretch > 1. */
const answer = (
  room: string,
  session: string,
  timing: Timing,
  stretch: number,
  sessions: number,
  viewers: number,
  counted: boolean,
) => ({
  room,
  session,
  sessions,
  viewers,
  interval: timing.intervalS * stretch,
  ttl: timing.ttlS * stretch,
  counted,
});

/**
 * isbot's pattern is long and a page's User-Agent repeats on every heartbeat, so the answer is
 * kept per User-Agent (a few thousand distinct ones cover nearly all traffic).
 */
const botAnswers = new LRUCache<string, boolean>({
  max: 5_000,
  memoMethod: (userAgent) => isbot(userAgent),
});
const isBot = (userAgent: string | undefined) =>
  userAgent === undefined ? isbot(userAgent) : botAnswers.memo(userAgent);

/** Why the store refused a heartbeat, as the client is told. */
function refusal(reason: RefusalReason, retryAfterMs: number, timing: Timing) {
  const retryAfterS = Math.ceil(retryAfterMs / 1000);
  switch (reason) {
    case 'too_fast':
      return new HttpError(
        'rate_limited',
        `this session sent heartbeats too fast; one every ${Math.ceil(timing.intervalS / 3)} s at most`,
        retryAfterS,
      );
    case 'too_many_sessions':
      return new HttpError(
        'too_many_sessions',
        'this viewer already holds the most sessions it may in this room; close one first',
        retryAfterS,
      );
    case 'too_many_address_sessions':
      return new HttpError(
        'too_many_sessions',
        'this client address already holds the most sessions it may in this room',
        retryAfterS,
      );
  }
}

const heartbeatRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { rules, countBots } = app.config;
  // Heartbeats answered, by outcome (refused ones are counted by the metrics plugin's onError).
  const counted = app.metrics.heartbeats.labels({ outcome: 'counted', reason: '' });
  const bot = app.metrics.heartbeats.labels({ outcome: 'bot', reason: '' });
  const visible: Timing = {
    intervalS: rules.visibleIntervalMs / 1000,
    ttlS: rules.visibleTtlMs / 1000,
  };
  const hidden: Timing = {
    intervalS: rules.hiddenIntervalMs / 1000,
    ttlS: rules.hiddenTtlMs / 1000,
  };

  app.post(
    '/v1/heartbeat',
    {
      schema: {
        summary: 'A page is open: count its session until its deadline',
        description:
          'The body is JSON, sent as application/json or as text/plain (what navigator.sendBeacon sends with a string, which needs no CORS preflight).',
        operationId: 'postHeartbeat',
        tags: ['presence'],
        consumes: ['application/json', 'text/plain'],
        ...publicRoute,
        body: HeartbeatBody,
        response: { 200: HeartbeatResponse, ...errorResponses(400, 401, 413, 415, 429, 503) },
      },
      preHandler: app.presenceTokenHooks,
    },
    async (request) => {
      const { room, session, viewer, entry } = request.body;
      const state = request.body.state ?? 'visible';
      const timing = state === 'visible' ? visible : hidden;
      if (!countBots && isBot(request.headers['user-agent'])) {
        const count = await app.store.count(room);
        bot.inc();
        return answer(room, session, timing, 1, count.sessions, count.viewers, false);
      }
      const limitViewerSessions = request.signedRoom;
      // Under load pages are told to come back less often, and stay counted as long (rule 5).
      const stretch = app.heartbeatStretch();
      const outcome = await app.store.heartbeat({
        room,
        session,
        viewer,
        state,
        entry,
        limitViewerSessions,
        stretch,
        address: app.addressHash.hash(request.ip),
        // A signed room's token names the viewer and may ask it not to be listed (SPEC 9).
        name: request.presenceClaims?.name,
        listed: request.presenceClaims?.listed,
      });
      if (!outcome.accepted) throw refusal(outcome.reason, outcome.retryAfterMs, timing);
      counted.inc();
      // The store may stretch further: a large room's pages come back less often.
      return answer(
        room,
        session,
        timing,
        outcome.stretch,
        outcome.sessions,
        outcome.viewers,
        true,
      );
    },
  );

  app.post(
    '/v1/leave',
    {
      schema: {
        summary: 'A page closes: the session leaves after the leave grace',
        description: 'The body is JSON, sent as application/json or as text/plain (sendBeacon).',
        operationId: 'postLeave',
        tags: ['presence'],
        consumes: ['application/json', 'text/plain'],
        ...publicRoute,
        body: LeaveBody,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 413, 415, 429, 503) },
      },
      preHandler: app.presenceTokenHooks,
    },
    async (request, reply) => {
      await app.store.leave(request.body.room, request.body.session);
      return reply.code(204).send(null);
    },
  );
};

export default heartbeatRoutes;
