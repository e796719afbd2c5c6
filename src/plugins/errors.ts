// The one error handler: every failure leaves as {"error":{"code","message"}} with its status.
// 5xx details go to the log, never to the client.
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type ErrorCode, errorBody, HttpError } from '../errors.js';
import { StoreUnavailableError } from '../presence/unavailable.js';
import { fieldRules } from '../routes/schemas.js';

/** Seconds a client should wait before retrying when the store is down. */
const storeRetryAfterS = 2;

const fieldCodes: Record<string, ErrorCode> = {
  room: 'invalid_room',
  session: 'invalid_session',
  viewer: 'invalid_viewer',
  state: 'invalid_state',
  entry: 'invalid_entry',
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
    new HttpError('body_too_large', 'the body must be at most 2048 bytes'),
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

function toHttpError(error: FastifyError | Error): HttpError | null {
  if (error instanceof HttpError) return error;
  if (error instanceof StoreUnavailableError) {
    return new HttpError(
      'store_unavailable',
      'the presence store is unavailable; retry shortly',
      storeRetryAfterS,
    );
  }
  const fe = error as FastifyError;
  if (fe.validation?.[0]) return fromValidation(fe.validation[0], fe.validationContext);
  const known = fe.code ? frameworkErrors[fe.code] : undefined;
  if (known) return known();
  if (error instanceof SyntaxError)
    return new HttpError('invalid_json', 'the body is not valid JSON');
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new HttpError('invalid_body', fe.message);
  }
  return null;
}

export default fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const http = toHttpError(error);
      if (!http) {
        request.log.error({ err: error }, 'unhandled error');
        return reply.code(500).send(errorBody('internal', 'something went wrong on our side'));
      }
      if (http.statusCode >= 500) request.log.warn({ err: error }, http.message);
      if (http.retryAfterS !== undefined) reply.header('retry-after', String(http.retryAfterS));
      return reply.code(http.statusCode).send(errorBody(http.code, http.message));
    });
    app.setNotFoundHandler((request, reply) =>
      reply
        .code(404)
        .send(
          errorBody('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`),
        ),
    );
  },
  { name: 'errors' },
);
