// Delivers the outbox: claims due events (the oldest pending one of each room, so a room's events
// arrive in order), POSTs each signed by the Standard Webhooks scheme, and records the outcome.
// Every instance runs a worker; a lease taken with FOR UPDATE SKIP LOCKED lets only one of them
// deliver a given event. At least once: an instance that dies after a 2xx but before recording
// it leaves the lease to expire, and the event goes again with the same webhook-id.
import { type SQL, sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import type { WebhookConfig } from '../config.js';
import type { Db } from '../db/client.js';
import { webhookEvents } from '../db/schema/index.js';
import type { Logger } from '../logging.js';
import type { Metrics } from '../metrics/metrics.js';

export interface DeliveryOptions
  extends Pick<
    WebhookConfig,
    'url' | 'secret' | 'timeoutMs' | 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs' | 'pollMs'
  > {
  db: Db;
  log: Logger;
  metrics?: Metrics | undefined;
  /** Events claimed per round (default 20): at most this many requests at once. */
  batchSize?: number;
}

export interface DeliveryWorker {
  /** One round now: claims due events and delivers them; resolves with how many were attempted. */
  runOnce(): Promise<number>;
  /** Stops polling and waits for the deliveries in flight. */
  stop(): Promise<void>;
}

interface Claimed {
  id: string;
  type: string;
  payload: unknown;
  attempts: number;
}

interface Outcome {
  delivered: boolean;
  status: number | null;
  error: string | null;
}

/** Delay before the next attempt, ms: doubling from the base, capped, with half of it random. */
export function retryDelayMs(
  attempts: number,
  baseMs: number,
  maxMs: number,
  random = Math.random(),
): number {
  const delay = Math.min(maxMs, baseMs * 2 ** Math.min(attempts - 1, 30));
  return Math.round(delay / 2 + (random * delay) / 2);
}

export function startDeliveryWorker(options: DeliveryOptions): DeliveryWorker {
  const signer = new Webhook(options.secret);
  const batchSize = options.batchSize ?? 20;
  // Longer than an attempt can take, so that no other instance claims an event in flight.
  const leaseMs = options.timeoutMs + 10_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | null = null;
  let stopped = false;
  let lastWarning = 0;

  async function claim(): Promise<Claimed[]> {
    const rows = await options.db.execute<Record<string, unknown>>(sql`
      update ${webhookEvents} as e
      set leased_until = now() + ${leaseMs}::int * interval '1 millisecond', attempts = e.attempts + 1
      where e.id in (
        select c.id from ${webhookEvents} as c
        where c.status = 'pending' and c.next_attempt_at <= now()
          and (c.leased_until is null or c.leased_until < now())
          and c.seq = (select min(h.seq) from ${webhookEvents} as h where h.room = c.room and h.status = 'pending')
        order by c.seq
        limit ${batchSize}
        for update skip locked)
      returning e.id, e.type, e.payload, e.attempts`);
    return rowsOf(rows).map((r) => ({
      id: String(r.id),
      type: String(r.type),
      payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
      attempts: Number(r.attempts),
    }));
  }

  async function send(event: Claimed): Promise<Outcome> {
    const body = JSON.stringify(event.payload);
    const now = new Date();
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Headcount-Webhooks/1',
          'webhook-id': event.id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signer.sign(event.id, now, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      const delivered = response.status >= 200 && response.status < 300;
      return {
        delivered,
        status: response.status,
        error: delivered ? null : `HTTP ${response.status}`,
      };
    } catch (err) {
      return { delivered: false, status: null, error: describe(err, options.timeoutMs) };
    }
  }

  async function record(event: Claimed, outcome: Outcome): Promise<void> {
    const dead = !outcome.delivered && event.attempts >= options.maxAttempts;
    const set: SQL = outcome.delivered
      ? sql`status = 'delivered', delivered_at = now()`
      : sql`status = ${dead ? 'dead' : 'pending'},
          next_attempt_at = now() + ${retryDelayMs(event.attempts, options.retryBaseMs, options.retryMaxMs)}::int * interval '1 millisecond'`;
    // Only while this attempt's lease is ours (attempts unchanged): a late answer changes nothing.
    await options.db.execute(sql`
      update ${webhookEvents} set ${set}, leased_until = null,
        last_status = ${outcome.status}, last_error = ${outcome.error}
      where id = ${event.id} and attempts = ${event.attempts}`);
    const label = outcome.delivered ? 'delivered' : dead ? 'dead' : 'failed';
    options.metrics?.webhookDeliveries.inc({ type: event.type, outcome: label });
    if (dead) {
      options.log.error(
        { event: event.id, type: event.type, attempts: event.attempts, error: outcome.error },
        'webhook: gave up on an event (dead letter); see GET /v1/webhooks/deliveries',
      );
    } else if (!outcome.delivered && Date.now() - lastWarning > 10_000) {
      lastWarning = Date.now();
      options.log.warn(
        { event: event.id, attempts: event.attempts, error: outcome.error },
        'webhook: delivery failed; retrying with backoff',
      );
    }
  }

  async function round(): Promise<number> {
    const claimed = await claim();
    await Promise.all(claimed.map(async (event) => record(event, await send(event))));
    return claimed.length;
  }

  function runOnce(): Promise<number> {
    running ??= round().finally(() => {
      running = null;
    });
    return running;
  }

  function schedule(delayMs: number) {
    if (stopped) return;
    timer = setTimeout(async () => {
      let attempted = 0;
      try {
        attempted = await runOnce();
      } catch (err) {
        if (Date.now() - lastWarning > 10_000) {
          lastWarning = Date.now();
          options.log.warn({ err }, 'webhook: the outbox could not be read; retrying');
        }
      }
      // A full batch means more are due: go again at once.
      schedule(attempted >= batchSize ? 0 : options.pollMs);
    }, delayMs);
    timer.unref();
  }

  schedule(0);
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}

/** Rows of db.execute, whichever driver is behind it (postgres-js: an array; PGlite: {rows}). */
function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  return ((result as { rows?: Record<string, unknown>[] }).rows ?? []) as Record<string, unknown>[];
}

function describe(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && err.name === 'TimeoutError')
    return `no answer within ${timeoutMs} ms`;
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause ? `${err.message}: ${cause.code ?? cause.message ?? ''}` : err.message;
  }
  return String(err);
}
