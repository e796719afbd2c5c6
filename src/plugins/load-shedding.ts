// Load shedding in two stages. When the event loop lags past STRETCH_EVENT_LOOP_DELAY_MS for two
// samples in a row that came in time (a saturated CPU keeps the sampler running late; one long
// synchronous task, such as opening the embedded database, stops it, and is not an overload),
// heartbeats are told an interval STRETCH_FACTOR times longer, with their ttl stretched alike, so
// pages send fewer and stay counted (rule 5). Past SHED_EVENT_LOOP_DELAY_MS the instance answers
// 503 overloaded with Retry-After rather than queueing work it cannot finish in time; clients back
// off and come back. Health, readiness and metrics keep answering so that orchestrators and
// operators can see what is happening.
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

declare module 'fastify' {
  interface FastifyInstance {
    /** The factor heartbeats' interval and ttl are stretched by now: 1, or STRETCH_FACTOR under load. */
    heartbeatStretch: () => number;
  }
}

export interface LoadSheddingOptions {
  config: Pick<Config, 'shed'>;
}

export default fp<LoadSheddingOptions>(
  async (app: FastifyInstance, { config }) => {
    const { eventLoopDelayMs, retryAfterS, stretchEventLoopDelayMs, stretchFactor } = config.shed;
    let samplesAbove = 0;
    let samplesAboveStretch = 0;
    app.decorate('heartbeatStretch', () =>
      stretchEventLoopDelayMs > 0 && samplesAboveStretch >= sustainedSamples ? stretchFactor : 1,
    );
    if (eventLoopDelayMs === 0 && stretchEventLoopDelayMs === 0) return;
    await app.register(underPressure, {
      // 0: under-pressure's own check is off; the sampler below still reads the delay.
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
    const inTimeMs = 2 * (sampleIntervalMs + Math.max(eventLoopDelayMs, stretchEventLoopDelayMs));
    let lastSampleAt = Date.now();
    const sampler = setInterval(() => {
      const now = Date.now();
      const delayMs = app.memoryUsage().eventLoopDelay;
      const inTime = now - lastSampleAt <= inTimeMs;
      const count = (limitMs: number, samples: number) =>
        limitMs > 0 && delayMs > limitMs ? (inTime ? samples + 1 : 1) : 0;
      samplesAbove = count(eventLoopDelayMs, samplesAbove);
      samplesAboveStretch = count(stretchEventLoopDelayMs, samplesAboveStretch);
      lastSampleAt = now;
    }, sampleIntervalMs).unref();
    // Whatever starting took (opening the database, compiling) is not load.
    app.addHook('onReady', async () => {
      samplesAbove = 0;
      samplesAboveStretch = 0;
      lastSampleAt = Date.now();
    });
    app.addHook('onClose', async () => clearInterval(sampler));
  },
  { name: 'load-shedding', dependencies: ['errors'] },
);
