// How the service logs: JSON lines for machines, pino-pretty for a person at a terminal, and
// never a secret. Lines per request only at debug level: at the default level a line per
// heartbeat would cost CPU on the hottest path and drown the lines that matter.
import {
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import type { Config } from './config.js';

/** What a background job (the snapshot, webhook delivery) logs with: the app's logger, or a test's. */
export type Logger = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error' | 'debug'>;

/** Fastify's logger options (pino's), without the boolean shorthand. */
export type LoggerOptions = Exclude<NonNullable<FastifyServerOptions['logger']>, boolean>;

/** Where an admin token could otherwise show up in a log line. */
const secretPaths = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'adminToken',
  'config.adminToken',
  'webhookSecret',
  'config.webhook.secret',
];

/**
 * A request as its log lines show it: Fastify's fields, with the query of the online list left
 * out, as its ids and cursor name viewers (no viewer id or name is ever logged; SPEC 9).
 */
export function requestForLog(request: FastifyRequest) {
  const [path, query] = request.url.split('?');
  const url = query !== undefined && /\/viewers$/.test(path!) ? `${path}?[redacted]` : request.url;
  return {
    method: request.method,
    url,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** pino-pretty is a development dependency: absent from production installs. */
function hasPrettyPrinter(): boolean {
  try {
    import.meta.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/**
 * The logger options of the server: pretty when LOG_FORMAT=pretty, or with LOG_FORMAT=auto when
 * stdout is a terminal and pino-pretty is installed; JSON lines otherwise.
 */
export function loggerOptions(
  config: Pick<Config, 'logLevel' | 'logFormat'>,
  stdoutIsTerminal = process.stdout.isTTY === true,
): LoggerOptions {
  const pretty =
    config.logFormat === 'pretty' ||
    (config.logFormat === 'auto' && stdoutIsTerminal && hasPrettyPrinter());
  return {
    level: config.logLevel,
    redact: { paths: secretPaths, censor: '[redacted]' },
    serializers: { req: requestForLog },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
          },
        }
      : {}),
  };
}

/**
 * Fastify's two lines per request ("incoming request", "request completed") at debug instead of
 * info, so LOG_LEVEL=debug brings them back. A request that errored is still logged at error.
 */
export class RequestLogAtDebug extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    _request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      reply.log.error(
        { res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      );
    } else {
      reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}
