// The dashboard's one way to the API: the admin token on every request, and polls that slow down
// in a background tab, follow Retry-After, and back off on errors.

const tokenKey = 'headcountAdminToken';

export class Unauthorized extends Error {}

/** The API said 429 or 503: try again after this many ms (its Retry-After). */
export class RetryLater extends Error {
  constructor(
    readonly afterMs: number,
    message: string,
  ) {
    super(message);
  }
}

/** Kept for this browser session only, unless the operator asked to remember it on this device. */
export const token = {
  get: () => sessionStorage.getItem(tokenKey) ?? localStorage.getItem(tokenKey),
  set: (value: string, remember: boolean) =>
    (remember ? localStorage : sessionStorage).setItem(tokenKey, value),
  forget: () => {
    sessionStorage.removeItem(tokenKey);
    localStorage.removeItem(tokenKey);
  },
};

/** Seconds of a Retry-After header (seconds or an HTTP date), in ms; fallback when absent. */
export function retryAfterMs(header: string | null, fallbackMs: number): number {
  if (header === null) return fallbackMs;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : fallbackMs;
}

export async function api<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token.get()}` } });
  return (await answered(res)) as T;
}

/** An answer of the API and the ETag it came with. */
export interface Tagged<T> {
  body: T;
  etag: string | null;
  /** False when the API said 304 and this is the earlier answer again. */
  modified: boolean;
}

/**
 * Reads a path conditionally: with the ETag of an earlier answer, a 304 (Not Modified) gives that
 * answer again without its body crossing the network. The browser's cache is left out, so that a
 * 304 reaches the page and nothing is served older than the API says.
 */
export async function apiTagged<T>(path: string, earlier?: Tagged<T>): Promise<Tagged<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${token.get()}` };
  if (earlier?.etag) headers['if-none-match'] = earlier.etag;
  const res = await fetch(path, { headers, cache: 'no-store' });
  if (res.status === 304 && earlier) return { ...earlier, modified: false };
  const body = (await answered(res)) as T;
  return { body, etag: res.headers.get('etag'), modified: true };
}

/** The body of a successful answer; the error an unsuccessful one means. */
async function answered(res: Response): Promise<unknown> {
  if (res.status === 401 || res.status === 403) throw new Unauthorized();
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  const message = body?.error?.message ?? `the API answered ${res.status}`;
  if (res.status === 429 || res.status === 503) {
    throw new RetryLater(retryAfterMs(res.headers.get('retry-after'), 5_000), message);
  }
  if (!res.ok) throw new Error(message);
  return body;
}

/** Polls run at most this often while the tab is hidden. */
export const hiddenEveryMs = 30_000;
const maxBackoffMs = 60_000;

export interface PollOptions {
  /** Aborted when the poll is no longer wanted (its view was left): it stops at once. */
  signal: AbortSignal;
  onError: (err: Error) => void;
  /** While the tab is hidden: poll at most every hiddenEveryMs (the default), or not at all. */
  whileHidden?: 'slow' | 'pause';
}

/**
 * Runs task now and then every everyMs until the signal aborts: every hiddenEveryMs (at least)
 * while the tab is hidden (or not at all, with whileHidden: 'pause'), at once when it shows
 * again, after Retry-After on 429/503, and with a doubling wait on other errors.
 */
export function poll(everyMs: number, task: () => Promise<void>, options: PollOptions): void {
  const { signal } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let waitingForRetry = false;
  const schedule = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  const onVisibility = () => {
    if (document.visibilityState === 'visible' && !waitingForRetry) schedule(0);
  };
  async function run(): Promise<void> {
    if (signal.aborted) return;
    const hidden = document.visibilityState === 'hidden';
    let nextMs = hidden ? Math.max(everyMs, hiddenEveryMs) : everyMs;
    waitingForRetry = false;
    // Paused: the tab showing again runs it (onVisibility).
    if (hidden && options.whileHidden === 'pause') return;
    try {
      await task();
      failures = 0;
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof RetryLater) {
        nextMs = Math.max(nextMs, err.afterMs);
        waitingForRetry = true;
      } else if (!(err instanceof Unauthorized)) {
        failures++;
        nextMs = Math.min(maxBackoffMs, everyMs * 2 ** failures);
      }
      options.onError(err as Error);
      if (err instanceof Unauthorized) return;
    }
    if (!signal.aborted) schedule(nextMs);
  }
  if (signal.aborted) return;
  document.addEventListener('visibilitychange', onVisibility, { signal });
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  void run();
}
