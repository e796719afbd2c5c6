// One error model: a stable code, its HTTP status, and a message a user can act on.
// Every failure leaves the service as {"error":{"code","message"}} through the one handler in app.ts.

export const errorStatus = {
  invalid_room: 400,
  invalid_session: 400,
  invalid_viewer: 400,
  invalid_state: 400,
  invalid_entry: 400,
  /** An activity kind outside ^[a-z][a-z0-9_-]{0,31}$. */
  invalid_kind: 400,
  /** An activity count outside 1-1000. */
  invalid_n: 400,
  /** A batch of activity that is not 1-500 events. */
  invalid_events: 400,
  /** Activity that would make a room count more than ACTIVITY_MAX_KINDS kinds in a period. */
  too_many_kinds: 400,
  invalid_body: 400,
  invalid_json: 400,
  missing_field: 400,
  unknown_field: 400,
  invalid_query: 400,
  invalid_url: 400,
  invalid_request: 400,
  invalid_range: 400,
  invalid_step: 400,
  range_too_large: 400,
  too_many_rooms: 400,
  /** GET /v1/rooms/:room/viewers?ids= with more ids than one call may ask for. */
  too_many_ids: 400,
  /** A cursor of the online list that this service did not give out. */
  invalid_cursor: 400,
  unauthorized: 401,
  /** A signed room's heartbeat or leave without a valid token for that room. */
  invalid_token: 401,
  forbidden: 403,
  /** The online list of a room, asked without a presence token for it or the admin token. */
  list_forbidden: 403,
  /** A page sent an activity kind that PAGE_ACTIVITY_KINDS does not name. */
  kind_forbidden: 403,
  /** A page's activity for a session that is not online in the room. */
  session_offline: 409,
  not_found: 404,
  request_timeout: 408,
  body_too_large: 413,
  url_too_long: 414,
  unsupported_media_type: 415,
  rate_limited: 429,
  /** One viewer already holds MAX_SESSIONS_PER_VIEWER online sessions in the room. */
  too_many_sessions: 429,
  headers_too_large: 431,
  internal: 500,
  store_unavailable: 503,
  database_unavailable: 503,
  overloaded: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class HttpError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** For 429 and 503: seconds the client should wait, sent as Retry-After. */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.statusCode = errorStatus[code];
  }
}

/** What the service depends on, and may find down. */
export type Dependency = 'store' | 'database';

/**
 * Seconds a client should wait after an outage, by dependency: the one place a Retry-After of an
 * outage is decided. The store comes back within a reconnect (ioredis retries at most 2 s apart);
 * a database restarts or fails over in seconds.
 */
export const outageRetryAfterS: Record<Dependency, number> = { store: 2, database: 5 };

const outageMessages: Record<Dependency, string> = {
  store: 'the presence store is unavailable; retry shortly',
  database: 'the archive database is unavailable; retry shortly',
};

/** The answer to an outage: 503 with the dependency's code, its message and its Retry-After. */
export const outage = (dependency: Dependency): HttpError =>
  new HttpError(
    `${dependency}_unavailable`,
    outageMessages[dependency],
    outageRetryAfterS[dependency],
  );

/** Retry-After of a readiness answer: the longest of the dependencies that are down. */
export const readinessRetryAfterS = (down: readonly Dependency[]): number =>
  Math.max(...down.map((d) => outageRetryAfterS[d]));

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export const errorBody = (code: ErrorCode, message: string): ErrorBody => ({
  error: { code, message },
});
