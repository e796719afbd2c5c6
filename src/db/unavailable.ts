// A database that cannot answer (down, unreachable, not answering in time) is an outage, not a
// bug: reads of it become DatabaseUnavailableError, which the error handler answers as 503 with
// Retry-After. A bad query stays what it is (a 500), so that an outage and a defect never look alike.
import { withTimeout } from '../timeout.js';

export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the archive database is unavailable', { cause });
  }
}

/** Errors of postgres-js and PostgreSQL that say the server cannot be reached or is going away. */
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  // admin_shutdown, cannot_connect_now
  '57P01',
  '57P03',
]);

/** True when the error says the database cannot be reached (not a bad query). */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DatabaseUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && unavailableCodes.has(code)) return true;
    if (/PGlite is closed/i.test(e.message)) return true;
  }
  return false;
}

/**
 * Runs a database read; a database that is down, or does not answer within timeoutMs
 * (DATABASE_TIMEOUT_MS), becomes DatabaseUnavailableError.
 */
export async function fromDatabase<T>(read: () => Promise<T>, timeoutMs: number): Promise<T> {
  try {
    return await withTimeout(read(), timeoutMs, 'the database');
  } catch (err) {
    throw isDatabaseUnavailable(err) ? new DatabaseUnavailableError(err) : err;
  }
}
