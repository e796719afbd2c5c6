// The browser client: keeps one session of a room online with heartbeats, says leave when the
// page goes away, and hands the room's counts (and, on request, who is here) to the page: from each
// heartbeat response, and from conditional reads in between while the page is visible. A visitor
// who opted out is not counted but still sees. Dependency-free; see README.md.

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

/** One online viewer of the list (GET /v1/rooms/:room/viewers). */
export interface Viewer {
  id: string;
  /** The display name of the viewer's latest token, or null. */
  name: string | null;
  /** When the viewer's current online stretch began (ISO 8601). */
  since: string;
  /** Whether any of its tabs is in the foreground. */
  visible: boolean;
  /** Its online sessions. */
  tabs: number;
  /** False in an open room, where ids are whatever pages claimed. */
  verified: boolean;
}

/** Who is here: the first page of the room's online list, oldest first. */
export interface Viewers {
  room: string;
  viewers: Viewer[];
  /** Online viewers who asked not to be listed: counted, never named. */
  hidden: number;
  /** The count's viewers at the same instant; total - hidden are listed across all pages. */
  total: number;
  next_cursor: string | null;
  /** Store time of the reading (ISO 8601). */
  at: string;
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
  /**
   * Called with who is here (the room's online list), read at the count's pace while the page is
   * visible. The list is for members: it needs `token` in a signed room.
   */
  onViewers?: (list: Viewers) => void;
  /** How many viewers of the list to read, 1-100; default 100. */
  limit?: number;
  /** Count this page under automation too (navigator.webdriver); it shows counts either way. */
  allowWebdriver?: boolean;
  /**
   * Send no heartbeat and no leave, only read and show (as for a visitor who opted out with
   * localStorage.headcountOptOut = "1").
   */
  optOut?: boolean;
  /**
   * A signed room's token, minted by the site's backend; or a function returning a fresh one,
   * called before each heartbeat whose token would expire within 10 s, and once after a 401.
   */
  token?: string | (() => string | Promise<string>);
}

export interface Handle {
  /** This tab's session id; '' when the page is not counted (opt-out, automation). */
  sessionId: string;
  /** Says leave (when counted) and stops the heartbeats and reads. */
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
  /** False for a visitor who opted out, under automation, or once refused: reads, never beats. */
  let counted = !(options.optOut || optedOut() || (navigator.webdriver && !options.allowWebdriver));
  const base = options.endpoint.replace(/\/+$/, '');
  const roomUrl = `${base}/v1/rooms/${encodeURIComponent(room)}`;
  // Nothing is kept in storage for a page that is not counted.
  const session = counted ? remembered(() => sessionStorage, `headcount:${room}`) : '';
  const viewer = counted && (options.viewer || remembered(() => localStorage, 'headcountViewer'));
  const entry = options.entry?.slice(0, 64);
  const renew = typeof options.token === 'function' ? options.token : null;
  let token = renew ? undefined : (options.token as string | undefined);
  let tokenExpiryS = token ? expiryOf(token) : 0;
  /** True after a 401 answered with a renewed token did not help: the next 401 stops. */
  let refused = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let stopped = false;
  /** Bumped by each heartbeat response: a count read sent before it may be older. */
  let beats = 0;
  /** Starts each read loop that is not running or backing off, after delayS or its own pace. */
  const readers: ((delayS?: number) => void)[] = [];
  const startReads = (delayS?: number) => {
    for (const start of readers) start(delayS);
  };

  /** The token to send: asked of the function again when it expires within renewBeforeS. */
  const freshToken = async () => {
    if (renew && (!token || tokenExpiryS - Date.now() / 1000 < renewBeforeS)) {
      token = await renew();
      tokenExpiryS = expiryOf(token);
    }
    return token;
  };

  // A string body is sent as text/plain, which needs no CORS preflight.
  const post = (path: string, body: object) =>
    fetch(base + path, { method: 'POST', keepalive: true, body: JSON.stringify(body) });

  const schedule = (delayS: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(beat, delayS * 1000);
  };

  // Between heartbeats, what the page shows (the count, the list) as the server or a CDN in front
  // of it has it, as often as the server says. The browser revalidates its copy with
  // If-None-Match itself, so an unchanged reading is a 304 with no body: for the count every time
  // ('no-cache'), with no header of ours that would need a CORS preflight; for the list once its
  // private max-age is over, since a read that bypasses the cache also bypasses the browser's
  // cache of preflights, and the list's Authorization needs one. A hidden page, or one that shows
  // nothing of it, stops reading; the next heartbeat's response (on a page that is not counted:
  // the page coming back) starts it again.
  function reads<T>(
    url: () => string,
    wanted: () => unknown,
    show: (body: T, beatsBefore: number) => void,
    members?: boolean,
  ): void {
    let readTimer: ReturnType<typeof setTimeout> | undefined;
    let readFailures = 0;
    let everyS = firstPollS;
    const later = (delayS: number) => {
      clearTimeout(readTimer);
      readTimer = stopped ? undefined : setTimeout(read, delayS * 1000);
    };
    async function read(): Promise<void> {
      readTimer = undefined;
      if (stopped || document.visibilityState === 'hidden' || !wanted()) return;
      let res: Response;
      let body: T | undefined;
      const beatsBefore = beats;
      try {
        const bearer = members && (await freshToken());
        res = await fetch(
          url(),
          bearer ? { headers: { Authorization: `Bearer ${bearer}` } } : { cache: 'no-cache' },
        );
        if (res.ok) body = (await res.json()) as T;
      } catch {
        later(backoffS(readFailures++));
        return;
      }
      if (body) {
        readFailures = 0;
        everyS = headerS(res, 'Headcount-Poll-Interval') || everyS;
        later(jitter(everyS));
        show(body, beatsBefore);
      } else if (res.status === 429 || res.status >= 500) {
        later(retryS(res, readFailures++));
      } else if (res.status === 401 && renew && !readFailures++) {
        // As for heartbeats: one more try with a token fresh from the backend.
        token = undefined;
        later(firstRetryS);
      } else {
        // Any other answer (a list for members only, say) would be the same next time.
        readFailures = Number.POSITIVE_INFINITY;
      }
    }
    readers.push((delayS) => {
      if (!readTimer && !readFailures) later(delayS ?? jitter(everyS));
    });
  }

  reads<Count>(
    () => `${roomUrl}/count`,
    () => options.poll ?? !!onCount,
    (count, beatsBefore) => beats === beatsBefore && onCount?.(count),
  );
  reads<Viewers>(
    () => `${roomUrl}/viewers?limit=${options.limit || 100}`,
    () => options.onViewers,
    (list) => options.onViewers?.(list),
    true,
  );

  async function beat(): Promise<void> {
    const state = document.visibilityState === 'hidden' ? 'hidden' : 'visible';
    let res: Response;
    let body: HeartbeatResponse | undefined;
    try {
      await freshToken();
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
      // Read next one poll interval after this fresh count, unless reads are under way.
      startReads();
    } else if (res.status === 429 || res.status >= 500) {
      schedule(retryS(res, failures++));
    } else if (res.status === 401 && renew && !refused) {
      // A clock off by more than the margin: one more try with a token fresh from the backend.
      refused = true;
      token = undefined;
      schedule(firstRetryS);
    } else {
      // Any other answer (a bad room id, say) would be the same next time: the page stops
      // beating, and still shows what it may read.
      clearTimeout(timer);
      counted = false;
      startReads(0);
    }
  }

  function stop(): void {
    stopped = true;
    clearTimeout(timer);
  }

  const sayLeave = () => {
    const url = `${base}/v1/leave`;
    const body = { room, session, token };
    if (!navigator.sendBeacon?.(url, JSON.stringify(body))) post('/v1/leave', body).catch(() => {});
  };

  // On a counted page, a heartbeat at once with the new state, deferred by a task so that a
  // pagehide dispatched right after (a closing tab) cancels it, and no heartbeat can reach the
  // server after the leave. On a page that only shows, the reads start again.
  const resume = () => (counted ? schedule(0) : startReads(0));
  const onPageHide = () => {
    stop();
    if (counted) sayLeave();
  };
  // Back from the back/forward cache: the leave has been said, so join again.
  const onPageShow = (event: PageTransitionEvent) => {
    if (event.persisted) {
      stopped = false;
      resume();
    }
  };

  document.addEventListener('visibilitychange', resume);
  addEventListener('pagehide', onPageHide);
  addEventListener('pageshow', onPageShow);
  resume();

  let left = false;
  return {
    sessionId: session,
    leave() {
      if (left) return;
      left = true;
      document.removeEventListener('visibilitychange', resume);
      removeEventListener('pagehide', onPageHide);
      removeEventListener('pageshow', onPageShow);
      onPageHide();
    },
  };
}

// As a classic <script> tag: join the room its data attributes name (data-opt-out: only read). The
// count is read between heartbeats once a headcount:count listener has read an event's detail: a
// page that shows it. A page that is not counted reads it once to find out.
const script = document.currentScript as HTMLScriptElement | null;
const data = script?.dataset;
if (data?.room) {
  /** Undefined until the first event; then whether a listener read its detail. */
  let shown: boolean | undefined;
  join({
    endpoint: data.endpoint || new URL(script!.src).origin,
    room: data.room,
    viewer: data.viewer,
    entry: data.entry,
    allowWebdriver: data.webdriver === 'true',
    optOut: data.optOut !== undefined && data.optOut !== 'false',
    token: data.token,
    get poll() {
      return shown ?? true;
    },
    onCount(count) {
      shown ??= false;
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
