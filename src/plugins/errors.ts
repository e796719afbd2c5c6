// The one error handler: every failure leaves as {"error":{"code","message"}} with its status,
// including what the framework and Node's HTTP parser refuse before a route runs, and every
// outage of the store or the database is answered here. 5xx details go to the log, never to the
// client.
import type { Socket } from 'node:net';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify';
import fp from 'fastify-plugin';
import { activityBatchLimitBytes, bodyLimitBytes } from '../body-limits.js';
import { DatabaseUnavailableError } from '../db/unavailable.js';
import { type ErrorCode, errorBody, HttpError, outage } from '../errors.js';
import { fieldRules } from '../ids.js';
import { StoreUnavailableError } from '../presence/unavailable.js';

const fieldCodes: Record<string, ErrorCode> = {
  room: 'invalid_room',
  session: 'invalid_session',
  viewer: 'invalid_viewer',
  state: 'invalid_state',
  entry: 'invalid_entry',
  kind: 'invalid_kind',
  n: 'invalid_n',
  events: 'invalid_events',
};

type Validation = NonNullable<FastifyError['validation']>[number];

function fromValidation(issue: Validation, context: string | undefined): HttpError {
  if (issue.keyword === 'required') {
    const field = String((issue.params as { missingProperty?: string }).missingProperty ?? '');
    return new HttpError('missing_field', `${field} is required`);
  }
  const field = issue.instancePath.split('/')[1] ?? '';
  const code = fieldCodes[field];
  if (code) return new HttpError(code, fieldRules[field as keyof typeof fieldRules]);
  if (context === 'body' && field === '') {
    return new HttpError('invalid_body', 'the body must be a JSON object');
  }
  const where = field
    ? `${field} ${issue.message ?? 'is not valid'}`
    : (issue.message ?? 'is not valid');
  return new HttpError(context === 'body' ? 'invalid_body' : 'invalid_query', where);
}

const frameworkErrors: Record<string, () => HttpError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new HttpError(
      'body_too_large',
      `the body must be at most ${bodyLimitBytes} bytes (${activityBatchLimitBytes} for a batch of activity)`,
    ),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new HttpError('unsupported_media_type', 'send the body as application/json or text/plain'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new HttpError('invalid_body', 'the Content-Length does not match the body'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new HttpError('invalid_body', 'the body must be a JSON object'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new HttpError('invalid_json', 'the body is not valid JSON'),
  FST_BEARER_AUTH_MISSING_AUTHORIZATION_HEADER: () =>
    new HttpError('unauthorized', 'send Authorization: Bearer <ADMIN_TOKEN>'),
  // Present but malformed or wrong.
  FST_BEARER_AUTH_INVALID_AUTHORIZATION_HEADER: () =>
    new HttpError('forbidden', 'the bearer token is not valid'),
};

/** Client errors the framework raises without a code of ours, by status; never echoing input. */
const byStatus: Record<number, () => HttpError> = {
  400: () => new HttpError('invalid_request', 'the request is not valid HTTP for this API'),
  404: () => new HttpError('not_found', 'no such route'),
  408: () => new HttpError('request_timeout', 'the request took too long to arrive'),
  413: () =>
    new HttpError(
      'body_too_large',
      `the body must be at most ${bodyLimitBytes} bytes (${activityBatchLimitBytes} for a batch of activity)`,
    ),
  414: () => new HttpError('url_too_long', 'the URL is too long'),
  415: () =>
    new HttpError('unsupported_media_type', 'send the body as application/json or text/plain'),
  431: () => new HttpError('headers_too_large', 'the request headers are too large'),
};

/** The error as the client is told it, or null for a fault of our own (500 internal). */
export function toHttpError(error: FastifyError | Error): HttpError | null {
  if (error instanceof HttpError) return error;
  // Every outage, whichever dependency and route: 503, its code and its Retry-After (errors.ts).
  if (error instanceof StoreUnavailableError) return outage('store');
  if (error instanceof DatabaseUnavailableError) return outage('database');
  const fe = error as FastifyError;
  if (fe.validation?.[0]) return fromValidation(fe.validation[0], fe.validationContext);
  const known = fe.code ? frameworkErrors[fe.code] : undefined;
  if (known) return known();
  if (error instanceof SyntaxError)
    return new HttpError('invalid_json', 'the body is not valid JSON');
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return (byStatus[fe.statusCode] ?? byStatus[400]!)();
  }
  return null;
}

const invalidUrl = () =>
  new HttpError('invalid_url', 'the URL is not valid (check its percent-encoding)');

/**
 * Fastify options that give the errors raised before routing the same shape: a URL the router
 * cannot decode, and what Node's HTTP parser refuses (oversized headers, a malformed request).
 */
export const frameworkErrorOptions: Pick<
  FastifyServerOptions,
  'frameworkErrors' | 'clientErrorHandler'
> = {
  frameworkErrors: (_error, _request, reply) => {
    const http = invalidUrl();
    void (reply as FastifyReply).code(http.statusCode).send(errorBody(http.code, http.message));
  },
  clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : 400;
    const http = byStatus[status]!();
    const body = JSON.stringify(errorBody(http.code, http.message));
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${http.code}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  },
};

/**
 * An outage or an overload answers many requests alike, hundreds a second: a line for each would
 * cost the CPU the instance is short of. Their line is written once per code in this period, with
 * how many requests it stands for.
 */
const unavailableLogPeriodMs = 10_000;

export default fp(
  async (app: FastifyInstance) => {
    const unavailable = new Map<ErrorCode, { loggedAt: number; requests: number }>();
    const logUnavailable = (request: FastifyRequest, http: HttpError, error: Error) => {
      const seen = unavailable.get(http.code) ?? {
        loggedAt: Number.NEGATIVE_INFINITY,
        requests: 0,
      };
      unavailable.set(http.code, seen);
      seen.requests++;
      const now = performance.now();
      if (now - seen.loggedAt < unavailableLogPeriodMs) return;
      request.log.warn(
        { err: error, requests: seen.requests },
        `${http.message} (${seen.requests} requests answered ${http.statusCode} ${http.code} since the last such line)`,
      );
      seen.loggedAt = now;
      seen.requests = 0;
    };
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const http = toHttpError(error);
      if (!http) {
        request.log.error({ err: error }, 'internal error');
        return reply
          .code(500)
          .header('x-request-id', request.id)
          .send(errorBody('internal', `something went wrong on our side (request ${request.id})`));
      }
      if (http.statusCode === 503) logUnavailable(request, http, error);
      else if (http.statusCode >= 500) request.log.warn({ err: error }, http.message);
      if (http.retryAfterS !== undefined) reply.header('retry-after', String(http.retryAfterS));
      return reply.code(http.statusCode).send(errorBody(http.code, http.message));
    });
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0]!;
      const shown = path.length > 100 ? `${path.slice(0, 100)}…` : path;
      return reply
        .code(404)
        .send(errorBody('not_found', `no route for ${request.method} ${shown}`));
    });
  },
  { name: 'errors' },
);
