// GET /v1/webhooks/deliveries: the outbox as the admin sees it, newest first: what was delivered,
// what waits for a retry and why, and the dead letters. Admin token required.
import { type FastifyPluginAsyncTypebox, type Static, Type } from '@fastify/type-provider-typebox';
import type { WebhookEvent } from '../db/schema/index.js';
import { readDeliveries } from '../webhooks/deliveries.js';
import { fromDatabase, iso } from './archive-query.js';
import { errorResponses, RoomId } from './schemas.js';

const Status = Type.Union([
  Type.Literal('pending'),
  Type.Literal('delivered'),
  Type.Literal('dead'),
]);
const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

const Delivery = Type.Object({
  id: Type.String({ description: 'Event id, sent as webhook-id.' }),
  seq: Type.Integer({ description: 'Position in the outbox; pass as `before` for the next page.' }),
  type: Type.String({
    description: 'room.live, room.empty, room.peak, room.threshold or room.concentrated.',
  }),
  room: RoomId,
  status: Status,
  attempts: Type.Integer({ description: 'Delivery attempts started so far.' }),
  occurred_at: Type.String({ format: 'date-time', description: 'When it happened (UTC).' }),
  created_at: Type.String({
    format: 'date-time',
    description: 'When the snapshot wrote it (UTC).',
  }),
  next_attempt_at: Time,
  delivered_at: Time,
  last_status: Type.Union([Type.Integer(), Type.Null()], {
    description: 'HTTP status of the latest attempt; null when the receiver did not answer.',
  }),
  last_error: Type.Union([Type.String(), Type.Null()], {
    description: 'Why the latest attempt failed.',
  }),
  payload: Type.Unknown({
    description:
      'The JSON body sent: {type, timestamp, data}, as the components RoomLiveEvent, ' +
      'RoomEmptyEvent, RoomPeakEvent, RoomThresholdEvent and RoomConcentratedEvent describe it.',
  }),
});

const Query = Type.Object({
  status: Type.Optional(Status),
  room: Type.Optional(RoomId),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  before: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Only events older than this seq.' }),
  ),
});

const deliveryBody = (e: WebhookEvent): Static<typeof Delivery> => ({
  id: e.id,
  seq: e.seq,
  type: e.type,
  room: e.room,
  status: e.status as Static<typeof Status>,
  attempts: e.attempts,
  occurred_at: e.occurredAt.toISOString(),
  created_at: e.createdAt.toISOString(),
  next_attempt_at: e.status === 'pending' ? iso(e.nextAttemptAt) : null,
  delivered_at: iso(e.deliveredAt),
  last_status: e.lastStatus,
  last_error: e.lastError,
  payload: e.payload,
});

const webhooksRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/webhooks/deliveries',
    {
      onRequest: app.verifyAdmin,
      schema: {
        summary: 'Webhook deliveries, retries and dead letters, newest first',
        tags: ['admin'],
        security: [{ bearer: [] }],
        querystring: Query,
        response: {
          200: Type.Object({
            enabled: Type.Boolean({
              description: 'Whether this instance sends webhooks (WEBHOOK_URL).',
            }),
            deliveries: Type.Array(Delivery),
          }),
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request) => {
      const rows = await fromDatabase(
        () => readDeliveries(app.db.db, request.query),
        app.config.databaseTimeoutMs,
      );
      return { enabled: app.config.webhook !== null, deliveries: rows.map(deliveryBody) };
    },
  );
};

export default webhooksRoutes;
