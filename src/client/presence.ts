// The browser client: keeps one session of a room online with heartbeats, says leave when the
// page goes away, and hands the room's counts to the page: from each heartbeat response, and from
// conditional reads of the count in between while the page is visible. Dependency-free; see
// README.md.

export interface Count {
  /** Online sessions (open tabs) in the room. */
  sessions: number;
  /** Distinct viewers (people or browsers) among them. */
  viewers: number;
  /** Online sessions in the foreground; in counts read between heartbeats only. */
  visible?: number;
  /** The live period's peak, first reached at `at` (ISO 8601); in counts read between heartbeats only. */
  peak?: { sessions: number; viewers: number; at: string | null };
  /** Store time of the reading (ISO 8601); in counts read between heartbeats only. */
  at?: string;
}

export interface JoinOptions {
  /** Base URL of the Headcount API, e.g. "https://headcount.example.com". */
  endpoint: string;
  /** Room id: 1-128 characters of A-Z a-z 0-9 . _ : - @ */
  room: string;
  /** A logged-in user id; without one, a random browser id kept in localStorage is used. */
  viewer?: string;
  /** Where the viewer came from, for join statistics (at most 64 characters). */
  entry?: string;
  /**
   * Called with the counts from every heartbeat response, and from the count read between
   * heartbeats (every few seconds, as the server says, while the page is visible).
   */
  onCount?: (count: Count) => void;
  /** Read the count between heartbeats; read each time, default true when onCount is given. */
  poll?: boolean;
  /** Start even when the browser is driven by automation (navigator.webdriver). */
  allowWebdriver?: boolean;
  /**
   * A signed room's token, minted by the site's backend; or a function returning a fresh one,
   * called before each heartbeat whose token would expire within 10 s, and once after a 401.
   */
  token?: string | (() => string | Promise<string>);
}

export interface Handle {
  /** This tab's session id; '' when the client did not start (opt-out, automation). */
  sessionId: string;
  /** Says leave and stops the heartbeats. */
  leave(): void;
}

interface HeartbeatResponse extends Count {
  /** Seconds until the next heartbeat. */
  interval: number;
}

/** Until the server says otherwise (Headcount-Poll-Interval), seconds between count reads. */
const firstPollS = 2;
const firstRetryS = 2;
const maxRetryS = 120;
/** A token that expires within this many seconds is renewed before the heartbeat is sent. */
const renewBeforeS = 10;

/** The token's exp (epoch s) from its payload; Infinity when it cannot be read. */
function expiryOf(token: string): number {
  try {
    const payload = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)).exp || Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** 128 random bits as 28 characters of the session id alphabet; works outside secure contexts too. */
const randomId = (): string =>
  Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) =>
    n.toString(36).padStart(7, '0'),
  ).join('');

/** The id stored under key, made on first use; storage that throws (blocked, sandboxed) gives a fresh id. */
function remembered(storage: () => Storage, key: string): string {
  try {
    const area = storage();
    const stored = area.getItem(key);
    if (stored) return stored;
    const id = randomId();
    area.setItem(key, id);
    return id;
  } catch {
    return randomId();
  }
}

function optedOut(): boolean {
  try {
    return localStorage.getItem('headcountOptOut') === '1';
  } catch {
    return false;
  }
}

/** Seconds from a header given in seconds (Retry-After); NaN when absent or a date. */
const headerS = (res: Response, name: string): number => Number.parseFloat(res.headers.get(name)!);

/** Backoff after the nth failure in a row: from 2 s, doubling to at most 120 s, with jitter. */
const backoffS = (n: number) => Math.min(maxRetryS, firstRetryS * 2 ** n) * (0.5 + Math.random());

/** The wait the server asks for on 429 and 5xx (Retry-After), else the nth backoff. */
const retryS = (res: Response, n: number): number => {
  const waitS = headerS(res, 'Retry-After');
  return waitS >= 0 ? waitS : backoffS(n);
};

/** ±10 % jitter, so that a crowd of pages does not ask in step. */
const jitter = (s: number) => s * (0.9 + Math.random() * 0.2);

export function join(options: JoinOptions): Handle {
  const { room, onCount } = options;
  if (optedOut() || (navigator.webdriver && !options.allowWebdriver)) {
    return { sessionId: '', leave() {} };
  }
  const base = options.endpoint.replace(/\/+$/, '');
  const session = remembered(() => sessionStorage, `headcount:${room}`);
  const viewer = options.viewer || remembered(() => localStorage, 'headcountViewer');
  const entry = options.entry?.slice(0, 64);
  const renew = typeof options.token === 'function' ? options.token : null;
  let token = renew ? undefined : (options.token as string | undefined);
  let tokenExpiryS = token ? expiryOf(token) : 0;
  /** True after a 401 answered with a renewed token did not help: the next 401 stops. */
  let refused = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let stopped = false;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let pollFailures = 0;
  let pollS = firstPollS;
  /** Bumped by each heartbeat response: a read sent before it may carry an older count. */
  let beats = 0;
  const countUrl = `${base}/v1/rooms/${encodeURIComponent(room)}/count`;

  // A string body is sent as text/plain, which needs no CORS preflight.
  const post = (path: string, body: object) =>
    fetch(base + path, { method: 'POST', keepalive: true, body: JSON.stringify(body) });

  const schedule = (delayS: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(beat, delayS * 1000);
  };

  const pollLater = (delayS: number) => {
    clearTimeout(pollTimer);
    pollTimer = stopped ? undefined : setTimeout(poll, delayS * 1000);
  };

  // Between heartbeats, the count as the server (or a CDN in front of it) has it. 'no-cache'
  // makes the browser revalidate its copy with If-None-Match every time, so an unchanged count
  // is a 304 with no body, and no header of ours triggers a CORS preflight. A hidden page, or one
  // that shows no count, stops reading; the next heartbeat's response starts it again.
  async function poll(): Promise<void> {
    pollTimer = undefined;
    if (document.visibilityState === 'hidden' || !(options.poll ?? !!onCount)) return;
    let res: Response;
    let body: Count | undefined;
    const beatsBefore = beats;
    try {
      res = await fetch(countUrl, { cache: 'no-cache' });
      if (res.ok) body = (await res.json()) as Count;
    } catch {
      pollLater(backoffS(pollFailures++));
      return;
    }
    if (body) {
      pollFailures = 0;
      pollS = headerS(res, 'Headcount-Poll-Interval') || pollS;
      pollLater(jitter(pollS));
      if (beats === beatsBefore) onCount?.(body);
    } else if (res.status === 429 || res.status >= 500) {
      pollLater(retryS(res, pollFailures++));
    }
    // Any other answer would be the same next time: the heartbeats still bring counts.
  }

  async function beat(): Promise<void> {
    const state = document.visibilityState === 'hidden' ? 'hidden' : 'visible';
    let res: Response;
    let body: HeartbeatResponse | undefined;
    try {
      if (renew && (!token || tokenExpiryS - Date.now() / 1000 < renewBeforeS)) {
        token = await renew();
        tokenExpiryS = expiryOf(token);
      }
      res = await post('/v1/heartbeat', { room, session, viewer, state, entry, token });
      if (res.ok) body = (await res.json()) as HeartbeatResponse;
    } catch {
      schedule(backoffS(failures++));
      return;
    }
    if (body) {
      failures = 0;
      refused = false;
      schedule(jitter(body.interval));
      beats++;
      onCount?.({ sessions: body.sessions, viewers: body.viewers });
      // Read the count next one poll interval after this fresh one, unless reads are under way.
      if (!pollTimer && pollFailures === 0) pollLater(jitter(pollS));
    } else if (res.status === 429 || res.status >= 500) {
      schedule(retryS(res, failures++));
    } else if (res.status === 401 && renew && !refused) {
      // A clock off by more than the margin: one more try with a token fresh from the backend.
      refused = true;
      token = undefined;
      schedule(firstRetryS);
    } else {
      // Any other answer (a bad room id, say) would be the same next time.
      stop();
    }
  }

  function stop(): void {
    stopped = true;
    clearTimeout(timer);
    clearTimeout(pollTimer);
    pollTimer = undefined;
  }

  const sayLeave = () => {
    const url = `${base}/v1/leave`;
    const body = { room, session, token };
    if (!navigator.sendBeacon?.(url, JSON.stringify(body))) post('/v1/leave', body).catch(() => {});
  };

  // Deferred by a task so that a pagehide dispatched right after (a closing tab) cancels it,
  // and no heartbeat can reach the server after the leave.
  const onVisibility = () => schedule(0);
  const onPageHide = () => {
    stop();
    sayLeave();
  };
  // Back from the back/forward cache: the leave has been said, so join again.
  const onPageShow = (event: PageTransitionEvent) => {
    if (event.persisted) {
      stopped = false;
      schedule(0);
    }
  };

  document.addEventListener('visibilitychange', onVisibility);
  addEventListener('pagehide', onPageHide);
  addEventListener('pageshow', onPageShow);
  beat();

  let left = false;
  return {
    sessionId: session,
    leave() {
      if (left) return;
      left = true;
      document.removeEventListener('visibilitychange', onVisibility);
      removeEventListener('pagehide', onPageHide);
      removeEventListener('pageshow', onPageShow);
      onPageHide();
    },
  };
}

// As a classic <script> tag: join the room its data attributes name. The count is read between
// heartbeats once a headcount:count listener has read an event's detail: a page that shows it.
const script = document.currentScript as HTMLScriptElement | null;
const data = script?.dataset;
if (data?.room && (data.optOut === undefined || data.optOut === 'false')) {
  let shown = false;
  join({
    endpoint: data.endpoint || new URL(script!.src).origin,
    room: data.room,
    viewer: data.viewer,
    entry: data.entry,
    allowWebdriver: data.webdriver === 'true',
    token: data.token,
    get poll() {
      return shown;
    },
    onCount(count) {
      const event = new CustomEvent('headcount:count', { bubbles: true });
      Object.defineProperty(event, 'detail', {
        get: () => {
          shown = true;
          return count;
        },
      });
      script!.dispatchEvent(event);
    },
  });
}
