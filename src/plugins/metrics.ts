// Request metrics for every route (app.metrics): latency by route and status, and heartbeats by
// outcome. Registered before the routes; the store plugin and the archive report to it too.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

    app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
      metrics.httpSeconds.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    });

    // Heartbeats only: counted or bot from the answer, refused from the error body.
    app.addHook('onRoute', (route) => {
      if (route.url !== heartbeatRoute || route.method !== 'POST') return;
      const preSerialization = async (
        _request: FastifyRequest,
        reply: FastifyReply,
        payload: unknown,
      ) => {
        if (reply.statusCode === 200) {
          const counted = (payload as { counted?: unknown } | null)?.counted;
          metrics.heartbeats.inc({ outcome: counted === false ? 'bot' : 'counted', reason: '' });
        }
        return payload;
      };
      const onSend = async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
        if (reply.statusCode >= 400) {
          metrics.heartbeats.inc({ outcome: 'refused', reason: refusalReason(reply, payload) });
        }
        return payload;
      };
      route.preSerialization = [route.preSerialization ?? [], preSerialization].flat();
      route.onSend = [route.onSend ?? [], onSend].flat();
    });
  },
  { name: 'metrics' },
);
