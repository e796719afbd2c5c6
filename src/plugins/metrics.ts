// Request metrics for every route (app.metrics): latency by route and status, and heartbeats by
// outcome. Registered before the routes; the store plugin and the archive report to it too.
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onSendHookHandler,
  preSerializationHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import { createMetrics, type Metrics } from '../metrics/metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

const heartbeatRoute = '/v1/heartbeat';

/** The error code of an error body ({"error":{"code":…}}), or the status when there is none. */
function refusalReason(reply: FastifyReply, payload: unknown): string {
  if (typeof payload === 'string') {
    try {
      const code = (JSON.parse(payload) as { error?: { code?: unknown } }).error?.code;
      if (typeof code === 'string') return code;
    } catch {
      // not JSON: fall back to the status
    }
  }
  return String(reply.statusCode);
}

export default fp(
  async (app: FastifyInstance) => {
    const metrics = createMetrics();
    app.decorate('metrics', metrics);

    app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
      metrics.httpSeconds.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
      done();
    });

    // Heartbeats only: counted or bot from the answer, refused from the error body. Callback
    // hooks rather than async ones: they run on every heartbeat, and need no promise.
    const counted = metrics.heartbeats.labels({ outcome: 'counted', reason: '' });
    const bot = metrics.heartbeats.labels({ outcome: 'bot', reason: '' });
    app.addHook('onRoute', (route) => {
      if (route.url !== heartbeatRoute || route.method !== 'POST') return;
      const preSerialization: preSerializationHookHandler<unknown> = (
        _request,
        reply,
        payload,
        done,
      ) => {
        if (reply.statusCode === 200) {
          ((payload as { counted?: unknown } | null)?.counted === false ? bot : counted).inc();
        }
        done(null, payload);
      };
      const onSend: onSendHookHandler<unknown> = (_request, reply, payload, done) => {
        if (reply.statusCode >= 400) {
          metrics.heartbeats.inc({ outcome: 'refused', reason: refusalReason(reply, payload) });
        }
        done(null, payload);
      };
      route.preSerialization = [route.preSerialization ?? [], preSerialization].flat();
      route.onSend = [route.onSend ?? [], onSend].flat();
    });
  },
  { name: 'metrics' },
);
