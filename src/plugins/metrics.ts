// Request metrics for every route (app.metrics): latency by route and status, and heartbeats by
// outcome. Registered before the routes; the store plugin and the archive report to it too.
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onResponseHookHandler,
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

type LatencySeries = ReturnType<Metrics['httpSeconds']['labels']>;

/** The latency series of one route, bound the first time a method and status occur. */
function latencySeries(metrics: Metrics, route: string) {
  const byMethod = new Map<string, Map<number, LatencySeries>>();
  return (method: string, status: number): LatencySeries => {
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let series = byStatus.get(status);
    if (series === undefined) {
      series = metrics.httpSeconds.labels({ method, route, status_code: String(status) });
      byStatus.set(status, series);
    }
    return series;
  };
}

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

    // Latency by route and status. Each route observes through its own hook, with its series
    // bound once per method and status; a request that matched no route is observed here.
    const unmatched = latencySeries(metrics, 'unmatched');
    app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
      if (request.is404)
        unmatched(request.method, reply.statusCode).observe(reply.elapsedTime / 1000);
      done();
    });
    app.addHook('onRoute', (route) => {
      const series = latencySeries(metrics, route.url);
      const onResponse: onResponseHookHandler = (request, reply, done) => {
        series(request.method, reply.statusCode).observe(reply.elapsedTime / 1000);
        done();
      };
      route.onResponse = [route.onResponse ?? [], onResponse].flat();
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
