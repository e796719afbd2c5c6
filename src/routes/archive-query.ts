// What the history and periods routes share: reading a time range from the query string and CSV
// output (csv-stringify).
import { type TSchema, Type } from '@fastify/type-provider-typebox';
import { stringify } from 'csv-stringify/sync';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { errorResponses } from './schemas.js';

/** Reads of the archive: a database that does not answer is a 503 (db/unavailable.ts). */
export { fromDatabase } from '../db/unavailable.js';

/** `from` or `to` in the query string. */
export const Time = Type.String({
  maxLength: 40,
  description: 'ISO 8601 (UTC when no offset) or epoch milliseconds.',
});

/** `format` in the query string: JSON (the default) or CSV. */
export const Format = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')]));

/** The responses of an archive route: the body as JSON or as CSV, and its errors. */
export const archiveResponses = (what: string, schema: TSchema) => ({
  200: {
    description: `${what}, as JSON or as CSV with the same columns.`,
    content: {
      'application/json': { schema },
      'text/csv': { schema: Type.String() },
    },
  },
  ...errorResponses(400, 401, 403, 429, 503),
});

const epochMs = /^\d{1,15}$/;
const isoTime =
  /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/i;
const hasOffset = /(Z|[+-]\d{2}(:?\d{2})?)$/i;

/**
 * A time from the query string: epoch milliseconds, or ISO 8601 (a date alone means midnight UTC;
 * a time without an offset is UTC, never the server's zone).
 */
export function parseTime(name: 'from' | 'to', value: string): number {
  let ms = Number.NaN;
  if (epochMs.test(value)) ms = Number(value);
  else if (isoTime.test(value)) {
    const text = value.length > 10 && !hasOffset.test(value) ? `${value}Z` : value;
    ms = Date.parse(text.replace(' ', 'T'));
  }
  if (!Number.isFinite(ms)) {
    throw new HttpError(
      'invalid_range',
      `${name} must be an ISO 8601 time (e.g. 2026-11-24T10:00:00Z) or epoch milliseconds (got "${value}")`,
    );
  }
  return ms;
}

/** from and to from the query; to defaults to now, from to `to` minus defaultSpanMs. */
export function parseRange(
  query: { from?: string | undefined; to?: string | undefined },
  defaultSpanMs: number,
  now = Date.now(),
): { fromMs: number; toMs: number } {
  const toMs = query.to === undefined ? now : parseTime('to', query.to);
  const fromMs = query.from === undefined ? toMs - defaultSpanMs : parseTime('from', query.from);
  if (fromMs >= toMs) {
    throw new HttpError('invalid_range', 'from must be before to');
  }
  return { fromMs, toMs };
}

/** CSV when asked by `format=csv` or by an Accept header that prefers text/csv. */
export function wantsCsv(request: FastifyRequest, format: 'json' | 'csv' | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  const accept = request.headers.accept ?? '';
  return /\btext\/csv\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}

type Cell = string | number | null;

/**
 * Sends rows as CSV (RFC 4180: header line, CRLF line ends, empty cell for null). A cell with a
 * line break of either kind is quoted too, so a spreadsheet never splits a row.
 */
export function sendCsv(
  reply: FastifyReply,
  filename: string,
  header: readonly string[],
  rows: readonly Cell[][],
): FastifyReply {
  const body = stringify(rows as Cell[][], {
    header: true,
    columns: [...header],
    record_delimiter: 'windows',
    quoted_match: /[\r\n]/,
  });
  return reply
    .type('text/csv; charset=utf-8')
    .header(
      'content-disposition',
      `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
    )
    .send(body);
}

/**
 * The rows as CSV (their columns, in order) when the client asks for CSV, else the JSON body: one
 * answer for every archive route.
 */
export function sendJsonOrCsv<Row extends { [K in keyof Row]: Cell }>(
  request: FastifyRequest,
  reply: FastifyReply,
  format: 'json' | 'csv' | undefined,
  csv: { filename: string; columns: readonly (keyof Row & string)[]; rows: readonly Row[] },
  json: object,
): FastifyReply {
  if (wantsCsv(request, format)) {
    const rows = csv.rows.map((row) => csv.columns.map((column): Cell => row[column]));
    return sendCsv(reply, csv.filename, csv.columns, rows);
  }
  return reply.type('application/json').send(json);
}

export const iso = (date: Date | null) => (date === null ? null : date.toISOString());
export const round3 = (n: number) => Math.round(n * 1000) / 1000;
