// The service's Prometheus metrics (prom-client), one registry per app so that several apps in
// one process (tests) never share a series. Names follow Prometheus conventions: base units
// (seconds), `_total` for counters.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  /** Latency of every HTTP request, by method, route pattern and status code. */
  readonly httpSeconds: Histogram<'method' | 'route' | 'status_code'>;
  /** Heartbeats by outcome: counted, bot (answered, not counted) or refused (with the error code). */
  readonly heartbeats: Counter<'outcome' | 'reason'>;
  /** Latency of every presence store call, by method. */
  readonly storeSeconds: Histogram<'command'>;
  /** Presence store calls that failed, by method and error class. */
  readonly storeErrors: Counter<'command' | 'error'>;
  /** Snapshot runs by status: ok, skipped (another instance holds the lock), failed. */
  readonly snapshotRuns: Counter<'status'>;
  readonly snapshotSeconds: Histogram;
  /** Snapshot rows written to the archive. */
  readonly snapshotRows: Counter;
  readonly snapshotLastSuccess: Gauge;
  /** Rooms with at least one online session, as read by this instance's latest snapshot. */
  readonly activeRooms: Gauge;
  /** Online sessions over every room, as read by this instance's latest snapshot. */
  readonly onlineSessions: Gauge;
  /** Rooms concentrated by client address (CONCENTRATION_*), as read by this instance's latest snapshot. */
  readonly concentratedRooms: Gauge;
  /**
   * The highest share of one client address over the rooms of at least CONCENTRATION_MIN_SESSIONS
   * sessions (0 when none), as read by this instance's latest snapshot.
   */
  readonly busiestAddressShare: Gauge;
  /** Requests refused with 503 because the instance was overloaded, by route. */
  readonly shedRequests: Counter<'route'>;
  /** Webhook delivery attempts by event type and outcome: delivered, failed (retried), dead. */
  readonly webhookDeliveries: Counter<'type' | 'outcome'>;
}

/** Latency buckets, seconds: from a fast in-process answer to the store timeout and beyond. */
const requestBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** prom-client's default gauges whose names end in _total. */
const untidyDefaultMetrics = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];
const snapshotBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(): Metrics {
  const registry = new Registry();
  // Process metrics (CPU, memory, file descriptors, GC) and event-loop delay percentiles.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  // prom-client also sums its per-type gauges into nodejs_active_{handles,requests,resources}_total:
  // gauges named like counters, which Prometheus' lint (promtool check metrics) refuses. The sum
  // is one PromQL away (sum(nodejs_active_handles)), so those three are not exposed.
  for (const name of untidyDefaultMetrics) registry.removeSingleMetric(name);
  const registers = [registry];
  return {
    registry,
    httpSeconds: new Histogram({
      name: 'headcount_http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: requestBuckets,
      registers,
    }),
    heartbeats: new Counter({
      name: 'headcount_heartbeats_total',
      help: 'Heartbeats by outcome (counted, bot, refused) and, for refused ones, the error code.',
      labelNames: ['outcome', 'reason'],
      registers,
    }),
    storeSeconds: new Histogram({
      name: 'headcount_store_command_duration_seconds',
      help: 'Presence store call latency by command.',
      labelNames: ['command'],
      buckets: requestBuckets,
      registers,
    }),
    storeErrors: new Counter({
      name: 'headcount_store_errors_total',
      help: 'Presence store calls that failed, by command and error class.',
      labelNames: ['command', 'error'],
      registers,
    }),
    snapshotRuns: new Counter({
      name: 'headcount_snapshot_runs_total',
      help: 'Snapshot runs by status: ok, skipped (another instance archived), failed.',
      labelNames: ['status'],
      registers,
    }),
    snapshotSeconds: new Histogram({
      name: 'headcount_snapshot_duration_seconds',
      help: 'Duration of snapshot runs that archived (ok or failed).',
      buckets: snapshotBuckets,
      registers,
    }),
    snapshotRows: new Counter({
      name: 'headcount_snapshot_rows_total',
      help: 'Snapshot rows written to the archive.',
      registers,
    }),
    snapshotLastSuccess: new Gauge({
      name: 'headcount_snapshot_last_success_timestamp_seconds',
      help: 'When this instance last archived successfully, Unix time.',
      registers,
    }),
    activeRooms: new Gauge({
      name: 'headcount_active_rooms',
      help: 'Rooms with at least one online session at the latest snapshot this instance took.',
      registers,
    }),
    onlineSessions: new Gauge({
      name: 'headcount_online_sessions',
      help: 'Online sessions over every room at the latest snapshot this instance took.',
      registers,
    }),
    concentratedRooms: new Gauge({
      name: 'headcount_concentrated_rooms',
      help: 'Rooms where one client address held more than CONCENTRATION_SHARE of at least CONCENTRATION_MIN_SESSIONS sessions, at the latest snapshot this instance took.',
      registers,
    }),
    busiestAddressShare: new Gauge({
      name: 'headcount_busiest_address_share',
      help: 'Highest share of one client address in a room of at least CONCENTRATION_MIN_SESSIONS sessions (0 when none), at the latest snapshot this instance took.',
      registers,
    }),
    shedRequests: new Counter({
      name: 'headcount_shed_requests_total',
      help: 'Requests refused with 503 because the instance was overloaded (event-loop delay), by route.',
      labelNames: ['route'],
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'headcount_webhook_deliveries_total',
      help: 'Webhook delivery attempts by event type and outcome: delivered, failed (will retry), dead.',
      labelNames: ['type', 'outcome'],
      registers,
    }),
  };
}

/**
 * The store, timed: every method that returns a promise is measured and its failures counted.
 * Generic on purpose, so that the store contract can gain or lose methods without this changing.
 */
export function instrumentStore<T extends object>(store: T, metrics: Metrics): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      let wrapper = wrapped.get(key);
      if (!wrapper) {
        wrapper = timed(key, value as (...args: unknown[]) => unknown, target, metrics);
        wrapped.set(key, wrapper);
      }
      return wrapper;
    },
  });
}

function timed(
  command: string,
  method: (...args: unknown[]) => unknown,
  target: object,
  metrics: Metrics,
) {
  const labels = { command };
  const failed = (err: unknown) => {
    metrics.storeErrors.inc({
      command,
      error: err instanceof Error ? err.constructor.name : 'unknown',
    });
    throw err;
  };
  return (...args: unknown[]): unknown => {
    const started = performance.now();
    let result: unknown;
    try {
      result = method.apply(target, args);
    } catch (err) {
      return failed(err);
    }
    if (!(result instanceof Promise)) return result;
    const observe = () =>
      metrics.storeSeconds.observe(labels, (performance.now() - started) / 1000);
    return result.then(
      (value: unknown) => {
        observe();
        return value;
      },
      (err: unknown) => {
        observe();
        return failed(err);
      },
    );
  };
}
