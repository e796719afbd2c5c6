// The browser client: keeps one session of a room online with heartbeats, says leave when the
// page goes away, and hands each response's counts to the page. Dependency-free; see README.md.

export interface Count {
  /** Online sessions (open tabs) in the room. */
  sessions: number;
  /** Distinct viewers (people or browsers) among them. */
  viewers: number;
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
  /** Called with the counts from every heartbeat response. */
  onCount?: (count: Count) => void;
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

/** Seconds from a Retry-After header given in seconds; NaN when absent or a date. */
const retryAfterS = (res: Response): number => Number.parseFloat(res.headers.get('Retry-After')!);

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

  // A string body is sent as text/plain, which needs no CORS preflight.
  const post = (path: string, body: object) =>
    fetch(base + path, { method: 'POST', keepalive: true, body: JSON.stringify(body) });

  const schedule = (delayS: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(beat, delayS * 1000);
  };

  const backoffS = () => Math.min(maxRetryS, firstRetryS * 2 ** failures++) * (0.5 + Math.random());

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
      schedule(backoffS());
      return;
    }
    if (body) {
      failures = 0;
      refused = false;
      schedule(body.interval * (0.9 + Math.random() * 0.2));
      onCount?.({ sessions: body.sessions, viewers: body.viewers });
    } else if (res.status === 429 || res.status >= 500) {
      const waitS = retryAfterS(res);
      schedule(waitS >= 0 ? waitS : backoffS());
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

// As a classic <script> tag: join the room its data attributes name.
const script = document.currentScript as HTMLScriptElement | null;
const data = script?.dataset;
if (data?.room && (data.optOut === undefined || data.optOut === 'false')) {
  join({
    endpoint: data.endpoint || new URL(script!.src).origin,
    room: data.room,
    viewer: data.viewer,
    entry: data.entry,
    allowWebdriver: data.webdriver === 'true',
    token: data.token,
    onCount: (count) =>
      script!.dispatchEvent(new CustomEvent('headcount:count', { detail: count, bubbles: true })),
  });
}
