// GET /v1/rooms/:room/entries: which entry brought the most viewers over a time range, from the
// archive (joins by entry). For analysts and the dashboard; admin token required.
import { type FastifyPluginAsyncTypebox, type Static, Type } from '@fastify/type-provider-typebox';
import { readJoinsByEntry } from '../archive/entries.js';
import { keptAt } from '../archive/history.js';
import {
  archiveResponses,
  Format,
  fromDatabase,
  parseRange,
  sendJsonOrCsv,
  Time,
} from './archive-query.js';
import { RoomId, RoomParams } from './schemas.js';

const defaultSpanMs = 7 * 86_400_000;

const Entry = Type.Object({
  entry: Type.String({ description: 'Where the viewers came from, as pages sent it.' }),
  joins: Type.Integer({ description: 'Sessions that joined with this entry in the range.' }),
});

export const Entries = Type.Object({
  room: RoomId,
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  entries: Type.Array(Entry, { description: 'Most joins first.' }),
});

const csvColumns = ['entry', 'joins'] as const satisfies readonly (keyof Static<typeof Entry>)[];

const entriesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/rooms/:room/entries',
    {
      onRequest: app.verifyAdmin,
      schema: {
        summary: 'Joins by entry of one room over a time range, most first (JSON or CSV)',
        operationId: 'getEntries',
        description:
          'Sums the joins by entry of the snapshot periods that ended in from..to (default: the last 7 days). ' +
          'Joins without an entry are not listed.',
        tags: ['analytics'],
        security: [{ bearer: [] }],
        params: RoomParams,
        querystring: Type.Object({
          from: Type.Optional(Time),
          to: Type.Optional(Time),
          limit: Type.Integer({ minimum: 1, maximum: 1_000, default: 100 }),
          format: Format,
        }),
        response: archiveResponses('The entries', Entries),
      },
    },
    async (request, reply) => {
      const { room } = request.params;
      const { fromMs, toMs } = parseRange(request.query, defaultSpanMs);
      const entries = await fromDatabase(
        () =>
          readJoinsByEntry(
            app.db.db,
            { room, from: new Date(fromMs), to: new Date(toMs), limit: request.query.limit },
            keptAt(app.config.retention, Date.now()),
          ),
        app.config.databaseTimeoutMs,
      );
      return sendJsonOrCsv(
        request,
        reply,
        request.query.format,
        { filename: `${room}-entries.csv`, columns: csvColumns, rows: entries },
        {
          room,
          from: new Date(fromMs).toISOString(),
          to: new Date(toMs).toISOString(),
          entries,
        },
      );
    },
  );
};

export default entriesRoutes;
