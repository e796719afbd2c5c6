// GET /v1/rooms/:room/periods: one room's live periods (stretches never empty) over a time range,
// with their peaks, joins and estimated unique viewers. Admin token required.
import { type FastifyPluginAsyncTypebox, type Static, Type } from '@fastify/type-provider-typebox';
import { type LivePeriod, readLivePeriods } from '../archive/history.js';
import {
  archiveResponses,
  Format,
  fromDatabase,
  iso,
  parseRange,
  sendJsonOrCsv,
  Time,
} from './archive-query.js';
import { RoomId, RoomParams } from './schemas.js';

const defaultSpanMs = 7 * 86_400_000;

const Period = Type.Object({
  started_at: Type.String({
    format: 'date-time',
    description: 'When the empty room got its first session (UTC).',
  }),
  ended_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description:
      'When the room emptied (UTC); null while the period is open (as of the latest snapshot).',
  }),
  duration_s: Type.Union([Type.Integer(), Type.Null()], {
    description: 'ended_at - started_at in seconds; null while open.',
  }),
  peak_sessions: Type.Integer({ description: 'Highest sessions in the period.' }),
  peak_sessions_at: Type.String({
    format: 'date-time',
    description: 'When peak_sessions was first reached (UTC).',
  }),
  peak_viewers: Type.Integer({ description: 'Highest viewers in the period.' }),
  peak_viewers_at: Type.String({
    format: 'date-time',
    description: 'When peak_viewers was first reached (UTC).',
  }),
  joins: Type.Integer({ description: 'Sessions that came online in the period.' }),
  unique_viewers_estimate: Type.Integer({
    description: 'Distinct viewers over the period (HyperLogLog estimate, about 1 % error).',
  }),
});

export const Periods = Type.Object({
  room: RoomId,
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  periods: Type.Array(Period, { description: 'Periods overlapping from..to, oldest first.' }),
});

const csvColumns = [
  'started_at',
  'ended_at',
  'duration_s',
  'peak_sessions',
  'peak_sessions_at',
  'peak_viewers',
  'peak_viewers_at',
  'joins',
  'unique_viewers_estimate',
] as const satisfies readonly (keyof Static<typeof Period>)[];

function toPeriod(p: LivePeriod): Static<typeof Period> {
  return {
    started_at: p.startedAt.toISOString(),
    ended_at: iso(p.endedAt),
    duration_s:
      p.endedAt === null ? null : Math.round((p.endedAt.getTime() - p.startedAt.getTime()) / 1000),
    peak_sessions: p.peakSessions,
    peak_sessions_at: p.peakSessionsAt.toISOString(),
    peak_viewers: p.peakViewers,
    peak_viewers_at: p.peakViewersAt.toISOString(),
    joins: p.joins,
    unique_viewers_estimate: p.uniqueViewersEstimate,
  };
}

const periodsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/rooms/:room/periods',
    {
      onRequest: app.verifyAdmin,
      schema: {
        summary: 'Live periods of one room over a time range (JSON or CSV)',
        operationId: 'getPeriods',
        description:
          'Periods that overlap from..to (default: the last 7 days), oldest first, the open one included.',
        tags: ['analytics'],
        security: [{ bearer: [] }],
        params: RoomParams,
        querystring: Type.Object({
          from: Type.Optional(Time),
          to: Type.Optional(Time),
          limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1_000 }),
          format: Format,
        }),
        response: archiveResponses('The periods', Periods),
      },
    },
    async (request, reply) => {
      const { room } = request.params;
      const { fromMs, toMs } = parseRange(request.query, defaultSpanMs);
      const periods = (
        await fromDatabase(
          () =>
            readLivePeriods(app.db.db, {
              room,
              from: new Date(fromMs),
              to: new Date(toMs),
              limit: request.query.limit,
            }),
          app.config.databaseTimeoutMs,
        )
      ).map(toPeriod);
      return sendJsonOrCsv(
        request,
        reply,
        request.query.format,
        { filename: `${room}-periods.csv`, columns: csvColumns, rows: periods },
        {
          room,
          from: new Date(fromMs).toISOString(),
          to: new Date(toMs).toISOString(),
          periods,
        },
      );
    },
  );
};

export default periodsRoutes;
