// Request metrics for every route (app.metrics): latency by route and status, and heartbeats by
// outcome. Registered before the routes; the store plugin and the archive report to it too.
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onErrorHookHandler,
  onResponseHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { toHttpError } from './errors.js';

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

/** The error's code as it is answered ({"error":{"code":…}}). */
const refusalReason = (error: Error) => toHttpError(error)?.code ?? 'internal';

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

    // Heartbeats refused, by the error's code: an onError hook runs only when there is one, so an
    // accepted heartbeat pays nothing here (the route counts those it answers, counted or bot).
    app.addHook('onRoute', (route) => {
      if (route.url !== heartbeatRoute || route.method !== 'POST') return;
      const onError: onErrorHookHandler = (_request, _reply, error, done) => {
        metrics.heartbeats.inc({ outcome: 'refused', reason: refusalReason(error) });
        done();
      };
      route.onError = [route.onError ?? [], onError].flat();
    });
  },
  { name: 'metrics' },
);
