// Load shedding: when the event loop lags past SHED_EVENT_LOOP_DELAY_MS for two samples in a row
// that came in time (a saturated CPU keeps the sampler running late; one long synchronous task,
// such as opening the embedded database, stops it, and is not an overload), the instance answers 503 overloaded with Retry-After rather than queueing work it cannot finish in
// time; clients back off and come back. Health, readiness and metrics keep answering so that
// orchestrators and operators can see what is happening.
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { HttpError } from '../errors.js';

/** Routes that always answer, overloaded or not. */
const neverShed = new Set(['/healthz', '/readyz', '/metrics']);

/** How often the event-loop delay is sampled, ms. */
const sampleIntervalMs = 250;
/** Samples in a row above the limit before shedding starts. */
const sustainedSamples = 2;

export interface LoadSheddingOptions {
  config: Pick<Config, 'shed'>;
}

export default fp<LoadSheddingOptions>(
  async (app: FastifyInstance, { config }) => {
    const { eventLoopDelayMs, retryAfterS } = config.shed;
    if (eventLoopDelayMs === 0) return;
    let samplesAbove = 0;
    await app.register(underPressure, {
      maxEventLoopDelay: eventLoopDelayMs,
      sampleInterval: sampleIntervalMs,
      // Called only while the latest sample is above the limit; a rejection goes to the one
      // error handler.
      pressureHandler: async (request: FastifyRequest) => {
        const route = request.routeOptions.url ?? 'unmatched';
        if (samplesAbove < sustainedSamples || neverShed.has(route)) return;
        if (app.hasDecorator('metrics')) app.metrics.shedRequests.inc({ route });
        throw new HttpError(
          'overloaded',
          'the service is overloaded; retry after the time in Retry-After',
          retryAfterS,
        );
      },
    });
    // Two samples further apart than this had one long task between them, not a busy loop.
    const inTimeMs = 2 * (sampleIntervalMs + eventLoopDelayMs);
    let lastSampleAt = Date.now();
    const sampler = setInterval(() => {
      const now = Date.now();
      const above = app.memoryUsage().eventLoopDelay > eventLoopDelayMs;
      const inTime = now - lastSampleAt <= inTimeMs;
      samplesAbove = above ? (inTime ? samplesAbove + 1 : 1) : 0;
      lastSampleAt = now;
    }, sampleIntervalMs).unref();
    // Whatever starting took (opening the database, compiling) is not load.
    app.addHook('onReady', async () => {
      samplesAbove = 0;
      lastSampleAt = Date.now();
    });
    app.addHook('onClose', async () => clearInterval(sampler));
  },
  { name: 'load-shedding', dependencies: ['errors'] },
);
