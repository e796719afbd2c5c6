// A store that cannot answer (down, unreachable, timing out) is not a bug: requests get 503 with
// Retry-After. Anything else a store throws (a script error, a wrong type, a bug of ours) is a bug
// and stays a 500, so that an outage and a defect never look alike to clients or operators.
import { ReplyError } from 'ioredis';

export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the presence store is unavailable', { cause });
  }
}

/** Replies of a Redis that is up but cannot serve right now (loading, failing over, busy). */
const transientReplies = /^(CLUSTERDOWN|LOADING|MASTERDOWN|TRYAGAIN|BUSY|READONLY|NOREPLICAS)/;

/** What ioredis says when it cannot reach Redis or Redis does not answer in time. */
const unreachable =
  /^(Connection is closed|Stream isn't writeable|Command timed out|Cluster isn't ready|Cluster is disconnect|Node is disconnected|Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available|Reached the max retries per request limit|connect ETIMEDOUT)/;

/** Errors ioredis raises by class name when no node can be reached. */
const unreachableNames = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);

/** True for connection, timeout and cluster-state failures; false for everything else. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (err instanceof ReplyError) return transientReplies.test((err as Error).message);
  if (!(err instanceof Error)) return false;
  // Socket errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE, ...
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true;
  return unreachableNames.has(err.name) || unreachable.test(err.message);
}

/** Runs a store call, turning outages into StoreUnavailableError. */
export async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw isUnavailable(err) ? new StoreUnavailableError(err) : err;
  }
}
