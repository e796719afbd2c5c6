// Every wait has a bound: a promise raced against a timer. The work itself is not cancelled (a
// driver may not allow it); the caller stops waiting and answers.

/** What a bounded wait rejects with; `code` is ETIMEDOUT, as a socket timeout would say. */
export class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
}

/** The longest delay setTimeout keeps; a longer one fires after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The promise, or a DeadlineError once timeoutMs has passed. */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DeadlineError(`${what} did not answer within ${timeoutMs} ms`)),
      // A bound derived from a rare schedule (a lock of months) must not turn into 1 ms.
      Math.min(timeoutMs, MAX_TIMER_MS),
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
