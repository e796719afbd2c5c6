// A store that cannot answer (down, unreachable, timing out) is not a bug: requests get 503 with
// Retry-After. Anything else a store throws is a bug and stays a 500.
import { ReplyError } from 'ioredis';

export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the presence store is unavailable', { cause });
  }
}

const transientReplies = /^(CLUSTERDOWN|LOADING|MASTERDOWN|TRYAGAIN|BUSY|READONLY)/;

/** True for connection, timeout and cluster-state failures. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (err instanceof ReplyError) return transientReplies.test((err as Error).message);
  return err instanceof Error;
}

/** Runs a store call, turning outages into StoreUnavailableError. */
export async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw isUnavailable(err) ? new StoreUnavailableError(err) : err;
  }
}
