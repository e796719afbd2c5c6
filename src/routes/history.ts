// GET /v1/rooms/:room/history: one room's archived snapshots rolled up by step, as JSON or CSV,
// with the activity of each step on ?include=activity. For analysts and the dashboard; admin
// token required.
import { type FastifyPluginAsyncTypebox, type Static, Type } from '@fastify/type-provider-typebox';
import {
  type ActivityPoint,
  bucketStart,
  type HistoryPoint,
  keptAt,
  readActivityHistory,
  readHistory,
  type Step,
  stepMs,
  steps,
} from '../archive/history.js';
import type { Db } from '../db/client.js';
import { HttpError } from '../errors.js';
import {
  archiveResponses,
  Format,
  fromDatabase,
  iso,
  parseRange,
  round3,
  sendCsv,
  Time,
  wantsCsv,
} from './archive-query.js';
import { RoomId, RoomParams } from './schemas.js';

/** The most points one request may ask for. */
export const maxPoints = 10_000;
const defaultSpanMs = 24 * 3_600_000;

const Point = Type.Object({
  at: Type.String({ format: 'date-time', description: 'Start of the bucket (UTC).' }),
  sessions_avg: Type.Number({
    description: 'Average of the sessions read at the end of each period.',
  }),
  sessions_last: Type.Integer({ description: 'Sessions read at the end of the last period.' }),
  viewers_avg: Type.Number({
    description: 'Average of the viewers read at the end of each period.',
  }),
  viewers_last: Type.Integer({ description: 'Viewers read at the end of the last period.' }),
  peak_sessions: Type.Integer({ description: 'Highest sessions in the bucket.' }),
  peak_sessions_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'When peak_sessions was first reached (UTC); null when it is 0.',
  }),
  peak_viewers: Type.Integer({ description: 'Highest viewers in the bucket.' }),
  joins: Type.Integer({ description: 'Sessions that came online in the bucket.' }),
  activity: Type.Optional(
    Type.Record(Type.String(), Type.Integer(), {
      description:
        'With include=activity: events counted in the bucket by kind, kinds in order; kinds with none are absent.',
    }),
  ),
});

export const History = Type.Object({
  room: RoomId,
  step: Type.String({ description: 'Bucket size: 1m, 5m, 1h or 1d.' }),
  from: Type.String({ format: 'date-time', description: 'Start of the first bucket (UTC).' }),
  to: Type.String({ format: 'date-time', description: 'End of the range, exclusive (UTC).' }),
  points: Type.Array(Point, {
    description: 'Buckets with snapshots, oldest first; absent buckets had none.',
  }),
});

const csvColumns = [
  'at',
  'sessions_avg',
  'sessions_last',
  'viewers_avg',
  'viewers_last',
  'peak_sessions',
  'peak_sessions_at',
  'peak_viewers',
  'joins',
] as const satisfies readonly (keyof Static<typeof Point>)[];

/** The CSV column of a kind: a prefix no other column has, so no kind can take another's name. */
const activityColumn = (kind: string) => `activity_${kind}`;

type Row = Static<typeof Point>;

/** Activity by bucket start, kinds in order (a stable order for JSON keys and CSV columns). */
function activityByBucket(rows: readonly ActivityPoint[]): Map<number, Record<string, number>> {
  const sorted = [...rows].sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  const byBucket = new Map<number, Record<string, number>>();
  for (const { at, kind, count } of sorted) {
    const bucket = byBucket.get(at.getTime()) ?? {};
    bucket[kind] = (bucket[kind] ?? 0) + count;
    byBucket.set(at.getTime(), bucket);
  }
  return byBucket;
}

/** The points as CSV: the fixed columns, then one column per kind seen in the range, in order. */
function csvOf(points: readonly Row[], withActivity: boolean) {
  const kinds = withActivity
    ? [...new Set(points.flatMap((p) => Object.keys(p.activity ?? {})))].sort()
    : [];
  const header = [...csvColumns, ...kinds.map(activityColumn)];
  const rows = points.map((p) => [
    ...csvColumns.map((column) => p[column]),
    ...kinds.map((kind) => p.activity?.[kind] ?? 0),
  ]);
  return { header, rows };
}

function toPoint(p: HistoryPoint): Row {
  return {
    at: p.at.toISOString(),
    sessions_avg: round3(p.sessionsAvg),
    sessions_last: p.sessionsLast,
    viewers_avg: round3(p.viewersAvg),
    viewers_last: p.viewersLast,
    peak_sessions: p.peakSessions,
    peak_sessions_at: iso(p.peakSessionsAt),
    peak_viewers: p.peakViewers,
    joins: p.joins,
  };
}

/** The step asked for, or the finest one that keeps the range within maxPoints. */
function chooseStep(asked: string | undefined, spanMs: number): Step {
  if (asked === undefined) {
    return steps.find((s) => Math.ceil(spanMs / stepMs[s]) <= maxPoints) ?? '1d';
  }
  if (!(asked in stepMs)) {
    throw new HttpError('invalid_step', `step must be one of ${steps.join(', ')} (got "${asked}")`);
  }
  return asked as Step;
}

const historyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/rooms/:room/history',
    {
      onRequest: app.verifyAdmin,
      schema: {
        summary: 'Archived counts and peaks of one room, rolled up by step (JSON or CSV)',
        operationId: 'getHistory',
        description:
          'Rollups: max of peaks, average and last of counts, sum of joins and of activity; a snapshot counts for the bucket in which its period started. ' +
          `At most ${maxPoints} buckets per request. CSV with format=csv or Accept: text/csv.`,
        tags: ['analytics'],
        security: [{ bearer: [] }],
        params: RoomParams,
        querystring: Type.Object({
          from: Type.Optional(Time),
          to: Type.Optional(Time),
          step: Type.Optional(
            Type.String({
              maxLength: 8,
              description: '1m, 5m, 1h or 1d; default: the finest that fits.',
            }),
          ),
          format: Format,
          include: Type.Optional(
            // An enum rather than a const: the refusal then says "one of the allowed values".
            Type.Unsafe<'activity'>({
              type: 'string',
              enum: ['activity'],
              description:
                'activity: each point carries its activity by kind (CSV: one activity_<kind> column per kind, in order).',
            }),
          ),
        }),
        response: archiveResponses('The points', History),
      },
    },
    async (request, reply) => {
      const { room } = request.params;
      const { fromMs, toMs } = parseRange(request.query, defaultSpanMs);
      const step = chooseStep(request.query.step, toMs - fromMs);
      const from = bucketStart(fromMs, step);
      const buckets = Math.ceil((toMs - from) / stepMs[step]);
      if (buckets > maxPoints) {
        throw new HttpError(
          'range_too_large',
          `from..to at step ${step} is ${buckets} points; ask for at most ${maxPoints} (a shorter range or a larger step)`,
        );
      }
      const withActivity = request.query.include === 'activity';
      const q = { room, from: new Date(from), to: new Date(toMs), step };
      const kept = keptAt(app.config.retention, Date.now());
      const read = (db: Db) =>
        Promise.all([
          readHistory(db, q, kept),
          withActivity ? readActivityHistory(db, q, kept) : [],
        ]);
      // Both from one snapshot of the database, so a snapshot committing in between cannot give
      // a step activity its counts do not have yet.
      const [history, activity] = await fromDatabase(
        () =>
          withActivity
            ? app.db.db.transaction(read, {
                isolationLevel: 'repeatable read',
                accessMode: 'read only',
              })
            : read(app.db.db),
        app.config.databaseTimeoutMs,
      );
      const byBucket = activityByBucket(activity);
      const points = history.map((p) => {
        const point = toPoint(p);
        if (withActivity) point.activity = byBucket.get(p.at.getTime()) ?? {};
        return point;
      });
      if (wantsCsv(request, request.query.format)) {
        const { header, rows } = csvOf(points, withActivity);
        return sendCsv(reply, `${room}-history-${step}.csv`, header, rows);
      }
      return reply.type('application/json').send({
        room,
        step,
        from: new Date(from).toISOString(),
        to: new Date(toMs).toISOString(),
        points,
      });
    },
  );
};

export default historyRoutes;
