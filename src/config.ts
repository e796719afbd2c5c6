// The one place environment variables are read. Each setting is declared once below (its name,
// kind, default, unit, what is allowed and what it does; the kinds are in setting.ts); the Config
// type, every validation message and the table in docs/configuration.md (npm run docs:config)
// come from that declaration.
// A bad value stops the process with one line per problem naming the variable, the value and what
// is allowed.
import { randomBytes } from 'node:crypto';
import { validate as isCronExpression } from 'node-cron';
import { isId } from './ids.js';
import {
  flag,
  integer,
  list,
  matching,
  milliseconds,
  oneOf,
  type Setting,
  seconds,
  setting,
  text,
} from './setting.js';
import { parsePresenceSecrets, parsePublicKeys } from './signing-keys.js';
import { parseTrustProxy } from './trust-proxy.js';

/** A Standard Webhooks secret: whsec_ and the base64 of 24 to 64 bytes. */
function webhookSecret(value: string): string | undefined {
  const key = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value.trim())?.[1];
  const bytes = key ? Buffer.from(key, 'base64').length : 0;
  return bytes >= 24 && bytes <= 64 ? value.trim() : undefined;
}

/** Days the archive keeps a kind of row; 0 keeps it for ever (docs/analytics.md#retention). */
const keptDays = <F extends string>(fallback: F, what: string) =>
  integer(
    { min: 0, max: 36_500, of: 'days', minMeans: 'for ever' },
    { unit: 'days', fallback, doc: `days the archive keeps ${what}; 0: for ever` },
  );

/** Every setting, in the order of the docs' table. */
export const settings = {
  HOST: text({
    fallback: '127.0.0.1',
    allowed: 'a host name or address',
    doc: 'address to listen on (`0.0.0.0` in the Docker image)',
  }),
  PORT: integer({ min: 0, max: 65_535 }, { fallback: '8080', doc: 'port to listen on' }),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    fallback: 'info',
    doc: '`debug` adds a line per request',
  }),
  LOG_FORMAT: oneOf(['auto', 'json', 'pretty'], {
    fallback: 'auto',
    doc: '`auto`: pino-pretty when stdout is a terminal and pino-pretty is installed, JSON lines otherwise',
  }),
  REDIS_URL: list(matching(/^rediss?:\/\/.+/), {
    allowed: 'a redis:// or rediss:// URL (several, comma-separated, with REDIS_CLUSTER=true)',
    doc: 'the presence store; unset: an embedded in-process store (a single instance)',
  }),
  REDIS_CLUSTER: flag({ fallback: 'false', doc: '`REDIS_URL` lists Redis Cluster seed nodes' }),
  REDIS_PREFIX: text({
    fallback: 'hc',
    pattern: /^[A-Za-z0-9_.-]{1,32}$/,
    allowed: '1 to 32 characters of A-Z a-z 0-9 _ . -',
    doc: 'prefix of every Redis key',
  }),
  STORE_TIMEOUT_MS: milliseconds(
    { min: 10, max: 60_000 },
    {
      fallback: '1000',
      doc: "a request's store call that has not answered by then fails with 503 (and so does a Redis command)",
    },
  ),
  DATABASE_URL: text({
    pattern: /^postgres(ql)?:\/\/.+/,
    allowed: 'a postgres:// or postgresql:// URL',
    doc: 'the archive; unset: embedded PostgreSQL (PGlite) in `DATA_DIR`',
  }),
  DATA_DIR: text({
    fallback: './data',
    allowed: 'a directory path',
    doc: 'where PGlite keeps its files',
  }),
  VISIBLE_TTL_S: seconds(
    { min: 1, max: 86_400 },
    {
      fallback: '45',
      formerly: 'HEARTBEAT_TTL_S',
      doc: 'how long a visible page stays online after a heartbeat (more than its interval)',
    },
  ),
  HIDDEN_TTL_S: seconds(
    { min: 1, max: 86_400 },
    { fallback: '150', doc: 'the same for a background page' },
  ),
  LEAVE_GRACE_S: seconds(
    { min: 1, max: 3_600 },
    { fallback: '5', doc: 'how long a page stays online after it said leave' },
  ),
  VISIBLE_INTERVAL_S: seconds(
    { min: 1, max: 86_400 },
    {
      fallback: '15',
      formerly: 'HEARTBEAT_INTERVAL_S',
      doc: 'time between heartbeats of a visible page',
    },
  ),
  HIDDEN_INTERVAL_S: seconds(
    { min: 1, max: 86_400 },
    { fallback: '60', doc: 'time between heartbeats of a background page' },
  ),
  COUNT_MAX_AGE_S: seconds(
    { min: 0, max: 3_600 },
    { fallback: '2', doc: '`Cache-Control: max-age` of counts and badges' },
  ),
  COUNT_POLL_S: seconds(
    { min: 1, max: 3_600 },
    {
      fallback: '2',
      doc: "seconds between a visible page's count reads, told to pages in `Headcount-Poll-Interval`; raise it to slow every page down",
    },
  ),
  COUNT_CACHE_MS: milliseconds(
    { min: 0, max: 60_000, minMeans: 'off' },
    {
      fallback: '250',
      doc: 'how old a count an instance may answer from its own cache (never above `COUNT_MAX_AGE_S`); concurrent reads of one room share one store call',
    },
  ),
  CORS_ORIGINS: list(matching(/^(\*|https?:\/\/[^/\s]+)$/), {
    fallback: '*',
    allowed: 'origins such as https://example.com, comma-separated, or *',
    doc: 'origins allowed to call the public routes from a browser',
  }),
  ADMIN_TOKEN: text({
    pattern: /^.{16,}$/,
    secret: true,
    fallbackDoc: 'random',
    allowed: 'at least 16 characters',
    doc: 'bearer token of the admin and analyst routes; unset: a random one, printed once at start',
  }),
  // 10 000 pages behind one address, joining within a minute and beating every 15 s, send about
  // 840 requests a second; the limit is 3 000 a second, in windows of 10 s.
  RATE_LIMIT_MAX: integer(
    { min: 0, of: 'requests', minMeans: 'off' },
    { fallback: '30000', doc: 'requests per client address per window, in each instance' },
  ),
  RATE_LIMIT_WINDOW_S: seconds(
    { min: 1, max: 3_600 },
    { fallback: '10', doc: 'the window; a refused address may retry when it ends' },
  ),
  RATE_LIMIT_ADDRESSES: integer(
    { min: 100, max: 10_000_000, of: 'addresses' },
    {
      fallback: '100000',
      doc: 'addresses tracked at once per instance (the least recently seen are dropped first)',
    },
  ),
  TRUST_PROXY: setting(
    {
      fallback: '0',
      allowed:
        'a hop count (0-16) or trusted proxy addresses or CIDR ranges, comma-separated; "true" (trust any address) is not allowed',
      doc: "whose `X-Forwarded-For` to believe: `1` = the nearest proxy's, or proxies' addresses and ranges (`10.0.0.0/8,fd00::/8`); `0` or `false` = none",
    },
    parseTrustProxy,
  ),
  ADMIN_CORS_ORIGINS: list(matching(/^https?:\/\/[^/\s*]+$/), {
    fallback: '',
    fallbackDoc: 'none',
    allowed: 'origins such as https://ops.example.com, comma-separated; * is not allowed',
    doc: 'browser origins allowed to call the admin and analyst routes',
  }),
  PRESENCE_SECRET: setting(
    {
      secret: true,
      allowed:
        'one secret, or kid:secret pairs, comma-separated; every secret at least 32 bytes (openssl rand -base64 32), each kid once',
      doc: 'turns on signed rooms: HS256 secrets, several (with kids) while rotating',
    },
    parsePresenceSecrets,
  ),
  PRESENCE_PUBLIC_KEYS: setting(
    {
      allowed:
        'a JSON Web Key Set {"keys":[...]} of public keys, each with kid and alg EdDSA, RS256 or ES256',
      doc: 'signed rooms with public keys',
    },
    parsePublicKeys,
  ),
  SIGNED_ROOMS: list((room) => (room === '*' || isId(room.replace(/\*$/, '')) ? room : undefined), {
    fallbackDoc: '`*`',
    allowed: 'room ids or prefixes ending in *, comma-separated (* = every room)',
    doc: 'the signed rooms, when a key is set',
  }),
  MAX_SESSIONS_PER_VIEWER: integer(
    { min: 1, max: 10_000, of: 'sessions' },
    {
      fallback: '10',
      doc: 'online sessions one viewer may hold in a signed room at once; more get `429 too_many_sessions`',
    },
  ),
  MAX_SESSIONS_PER_ADDRESS: integer(
    { min: 0, max: 100_000_000, of: 'sessions', minMeans: 'no cap' },
    {
      fallback: '0',
      doc: 'online sessions one client address may hold in a room at once; a new one beyond it gets `429 too_many_sessions` (off by default: many people share one address)',
    },
  ),
  CONCENTRATION_SHARE: setting(
    {
      fallback: '0.5',
      allowed: 'a fraction above 0 and at most 1',
      doc: 'a room whose busiest client address holds more than this share of its sessions is concentrated (dashboard, `/metrics`, `room.concentrated`)',
    },
    (t) =>
      /^\s*\d+(\.\d+)?\s*$/.test(t) && Number(t) > 0 && Number(t) <= 1 ? Number(t) : undefined,
  ),
  CONCENTRATION_MIN_SESSIONS: integer(
    { min: 1, max: 100_000_000, of: 'sessions' },
    {
      fallback: '50',
      doc: 'a room with fewer online sessions is never called concentrated',
    },
  ),
  ACTIVITY_TOKEN: text({
    pattern: /^\S{16,256}$/,
    allowed: '16 to 256 characters without spaces',
    doc: "bearer secret of a site's backend for `POST /v1/rooms/:room/activity` and `POST /v1/activity` (not the admin token); unset: only pages count activity",
  }),
  PAGE_ACTIVITY_KINDS: list(matching(/^[a-z][a-z0-9_-]{0,31}$/), {
    allowed: 'activity kinds (a-z, then a-z 0-9 _ -, at most 32 characters), comma-separated',
    doc: 'the activity kinds pages may send themselves, for a session online in the room; unset: none',
  }),
  ACTIVITY_MAX_KINDS: integer(
    { min: 1, max: 1_000, of: 'kinds' },
    {
      fallback: '20',
      doc: 'activity kinds one room may count per snapshot period; events of one more get `400 too_many_kinds`, and nothing of their request is counted',
    },
  ),
  LARGE_ROOM_SESSIONS: integer(
    { min: 0, max: 100_000_000, of: 'sessions', minMeans: 'never stretch' },
    {
      fallback: '200000',
      doc: 'a room with this many online sessions or more tells its pages an interval and ttl `1 + floor(sessions / this)` times longer (at most 9)',
    },
  ),
  HTTP_HEADERS_TIMEOUT_MS: milliseconds(
    { min: 100, max: 600_000 },
    {
      fallback: '10000',
      doc: 'a client that has not sent its whole headers by then gets `408` and its connection closed',
    },
  ),
  HTTP_REQUEST_TIMEOUT_MS: milliseconds(
    { min: 100, max: 600_000 },
    { fallback: '15000', doc: 'the same for the whole request, body included' },
  ),
  HTTP_IDLE_TIMEOUT_MS: milliseconds(
    { min: 100, max: 600_000 },
    {
      fallback: '65000',
      doc: "a kept-alive connection with no new request, or a socket on which nothing moves, is closed (keep it above the load balancer's idle timeout)",
    },
  ),
  DATABASE_TIMEOUT_MS: milliseconds(
    { min: 100, max: 600_000 },
    {
      fallback: '5000',
      doc: "longest wait for an archive read and for `/readyz`'s database check; PostgreSQL's `statement_timeout` for reads",
    },
  ),
  SHED_EVENT_LOOP_DELAY_MS: milliseconds(
    { min: 0, max: 60_000, minMeans: 'off' },
    {
      fallback: '1000',
      doc: 'past this mean event-loop delay (sampled every 250 ms, two samples in a row) the instance answers `503 overloaded` instead of queueing work',
    },
  ),
  SHED_RETRY_AFTER_S: seconds(
    { min: 1, max: 600 },
    { fallback: '5', doc: 'the `Retry-After` of those answers' },
  ),
  STRETCH_EVENT_LOOP_DELAY_MS: milliseconds(
    { min: 0, max: 60_000, minMeans: 'off' },
    {
      fallbackDoc: 'a quarter of `SHED_EVENT_LOOP_DELAY_MS` (250)',
      doc: 'past this mean event-loop delay, sustained, heartbeats are told a longer interval and ttl',
    },
  ),
  STRETCH_FACTOR: integer({ min: 2, max: 9 }, { fallback: '2', doc: 'how many times longer' }),
  COUNT_BOTS: flag({ fallback: 'false', doc: 'count heartbeats from known bots too' }),
  SNAPSHOT_CRON: setting(
    {
      fallback: '* * * * *',
      allowed: 'a cron expression (five fields, or six with seconds first)',
      doc: 'when the archive job runs',
    },
    (t) => (isCronExpression(t.trim()) ? t.trim() : undefined),
  ),
  SNAPSHOT_ENABLED: flag({ fallback: 'true', doc: 'run the archive job in this instance' }),
  WEBHOOK_URL: text({
    pattern: /^https?:\/\/[^,\s]+$/,
    allowed: 'an http:// or https:// URL',
    doc: 'where to POST events; unset: no webhooks (no events are written)',
  }),
  WEBHOOK_SECRET: setting(
    {
      secret: true,
      allowed: 'whsec_ followed by 24 to 64 bytes in base64 (Standard Webhooks)',
      doc: 'the signing secret; required with `WEBHOOK_URL`',
    },
    webhookSecret,
  ),
  WEBHOOK_THRESHOLDS: list((n) => (/^[1-9]\d{0,8}$/.test(n) ? Number(n) : undefined), {
    fallback: '',
    fallbackDoc: 'none',
    allowed: 'whole numbers of sessions (at least 1), comma-separated',
    doc: 'session counts that send `room.threshold` when crossed (e.g. `100,1000`)',
  }),
  WEBHOOK_HYSTERESIS: setting(
    {
      fallback: '0.1',
      allowed: 'a fraction from 0 to 0.9',
      doc: 'a room above threshold T is below it again under T × (1 − this)',
    },
    (t) => (/^\s*\d+(\.\d+)?\s*$/.test(t) && Number(t) <= 0.9 ? Number(t) : undefined),
  ),
  WEBHOOK_TIMEOUT_MS: milliseconds(
    { min: 100, max: 60_000 },
    { fallback: '5000', doc: "longest wait for the receiver's answer, per attempt" },
  ),
  WEBHOOK_MAX_ATTEMPTS: integer(
    { min: 1, max: 100, of: 'attempts' },
    { fallback: '18', doc: 'attempts before an event is a dead letter' },
  ),
  WEBHOOK_RETRY_BASE_MS: milliseconds(
    { min: 10, max: 3_600_000 },
    {
      fallback: '1000',
      doc: 'delay before the first retry; doubles with each attempt (with jitter)',
    },
  ),
  WEBHOOK_RETRY_MAX_MS: milliseconds(
    { min: 10, max: 86_400_000 },
    { fallback: '3600000', doc: 'the longest delay between attempts' },
  ),
  WEBHOOK_POLL_MS: milliseconds(
    { min: 10, max: 60_000 },
    { fallback: '1000', doc: 'how often each instance looks for events due' },
  ),
  WEBHOOK_RETENTION_DAYS: integer(
    { min: 1, max: 3_650, of: 'days' },
    {
      unit: 'days',
      fallback: '14',
      doc: "delivered webhook events are deleted this many days after delivery, by the archive's retention; dead letters stay",
    },
  ),
  RETAIN_MINUTES_DAYS: keptDays(
    '30',
    'minute rows (`snapshots`) and their joins by entry and activity (`snapshot_entries`, `snapshot_activity`)',
  ),
  RETAIN_HOURS_DAYS: keptDays(
    '730',
    'hourly rollups (`snapshots_hourly`, `snapshot_entries_hourly`, `snapshot_activity_hourly`)',
  ),
  RETAIN_DAYS_DAYS: keptDays(
    '0',
    'daily rollups (`snapshots_daily`, `snapshot_entries_daily`, `snapshot_activity_daily`)',
  ),
  RETAIN_LIVE_PERIODS_DAYS: keptDays('730', 'closed live periods, by when they ended'),
  RETENTION_CRON: setting(
    {
      fallback: '*/10 * * * *',
      allowed: 'a cron expression (five fields, or six with seconds first)',
      doc: "when the archive's retention runs (on instances with `SNAPSHOT_ENABLED`)",
    },
    (t) => (isCronExpression(t.trim()) ? t.trim() : undefined),
  ),
  RETENTION_BATCH_ROWS: integer(
    { min: 100, max: 1_000_000, of: 'rows' },
    { fallback: '5000', doc: 'rows deleted per statement, each a short transaction of its own' },
  ),
  RETENTION_MAX_RUN_S: seconds(
    { min: 1, max: 3_600 },
    {
      fallback: '120',
      doc: 'a retention run starts no new batch after this long; the next run goes on',
    },
  ),
};

export type { Setting };
export type SettingName = keyof typeof settings;

/** Every setting's value, as read and checked. */
export type Environment = {
  [K in SettingName]: (typeof settings)[K] extends Setting<infer T, infer HasDefault>
    ? HasDefault extends true
      ? T
      : T | undefined
    : never;
};

/** A rule between settings: the problem with the named one, or null. */
interface Check {
  name: SettingName;
  problem: (e: Environment) => string | null | false;
}

const checks: Check[] = [
  {
    name: 'STRETCH_EVENT_LOOP_DELAY_MS',
    problem: (e) =>
      e.SHED_EVENT_LOOP_DELAY_MS > 0 &&
      e.STRETCH_EVENT_LOOP_DELAY_MS !== undefined &&
      e.STRETCH_EVENT_LOOP_DELAY_MS >= e.SHED_EVENT_LOOP_DELAY_MS &&
      `must be below SHED_EVENT_LOOP_DELAY_MS (${e.SHED_EVENT_LOOP_DELAY_MS}): pages are slowed before any is refused`,
  },
  {
    name: 'HTTP_REQUEST_TIMEOUT_MS',
    problem: (e) =>
      e.HTTP_REQUEST_TIMEOUT_MS < e.HTTP_HEADERS_TIMEOUT_MS &&
      `must be at least HTTP_HEADERS_TIMEOUT_MS (${e.HTTP_HEADERS_TIMEOUT_MS}): a request includes its headers`,
  },
  {
    name: 'WEBHOOK_SECRET',
    problem: (e) =>
      e.WEBHOOK_URL !== undefined &&
      e.WEBHOOK_SECRET === undefined &&
      'must be set when WEBHOOK_URL is (whsec_ followed by a base64 key)',
  },
  {
    name: 'VISIBLE_TTL_S',
    problem: (e) =>
      e.VISIBLE_TTL_S <= e.VISIBLE_INTERVAL_S &&
      `must be greater than VISIBLE_INTERVAL_S (${e.VISIBLE_INTERVAL_S}), or sessions would expire between heartbeats`,
  },
  {
    name: 'HIDDEN_TTL_S',
    problem: (e) =>
      e.HIDDEN_TTL_S <= e.HIDDEN_INTERVAL_S &&
      `must be greater than HIDDEN_INTERVAL_S (${e.HIDDEN_INTERVAL_S}), or hidden sessions would expire between heartbeats`,
  },
  // A coarser rollup outlives the finer rows it sums, so history always has something to answer
  // from, and a row the snapshot replaces still has its rollup to correct.
  {
    name: 'RETAIN_HOURS_DAYS',
    problem: (e) =>
      keptLonger(e.RETAIN_MINUTES_DAYS, e.RETAIN_HOURS_DAYS) &&
      `must keep rows at least as long as RETAIN_MINUTES_DAYS (${daysText(e.RETAIN_MINUTES_DAYS)}); 0 keeps them for ever`,
  },
  {
    name: 'RETAIN_DAYS_DAYS',
    problem: (e) =>
      keptLonger(e.RETAIN_HOURS_DAYS, e.RETAIN_DAYS_DAYS) &&
      `must keep rows at least as long as RETAIN_HOURS_DAYS (${daysText(e.RETAIN_HOURS_DAYS)}); 0 keeps them for ever`,
  },
  {
    name: 'SIGNED_ROOMS',
    problem: (e) =>
      e.SIGNED_ROOMS !== undefined &&
      e.PRESENCE_SECRET === undefined &&
      e.PRESENCE_PUBLIC_KEYS === undefined &&
      'needs PRESENCE_SECRET or PRESENCE_PUBLIC_KEYS: without a key no room can be signed',
  },
];

const forEver = (days: number) => (days === 0 ? Number.POSITIVE_INFINITY : days);
/** True when the finer rows would be kept longer than the coarser rollup that sums them. */
const keptLonger = (finerDays: number, coarserDays: number) =>
  forEver(coarserDays) < forEver(finerDays);
const daysText = (days: number) => (days === 0 ? 'for ever' : `${days} days`);

/** The configuration the app runs with, in the shape its parts use. */
function shape(e: Environment) {
  return {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    redis: e.REDIS_URL
      ? {
          urls: e.REDIS_URL,
          cluster: e.REDIS_CLUSTER,
          prefix: e.REDIS_PREFIX,
          timeoutMs: e.STORE_TIMEOUT_MS,
        }
      : null,
    /** null: embedded PostgreSQL (PGlite) in dataDir. */
    databaseUrl: e.DATABASE_URL ?? null,
    dataDir: e.DATA_DIR,
    rules: {
      visibleTtlMs: e.VISIBLE_TTL_S * 1000,
      hiddenTtlMs: e.HIDDEN_TTL_S * 1000,
      leaveGraceMs: e.LEAVE_GRACE_S * 1000,
      visibleIntervalMs: e.VISIBLE_INTERVAL_S * 1000,
      hiddenIntervalMs: e.HIDDEN_INTERVAL_S * 1000,
      maxSessionsPerViewer: e.MAX_SESSIONS_PER_VIEWER,
      largeRoomSessions: e.LARGE_ROOM_SESSIONS,
      activityMaxKinds: e.ACTIVITY_MAX_KINDS,
      ...(e.MAX_SESSIONS_PER_ADDRESS > 0
        ? { maxSessionsPerAddress: e.MAX_SESSIONS_PER_ADDRESS }
        : {}),
    },
    /** Activity (SPEC 10): the backend's bearer secret (null: none), and the kinds pages may send. */
    activity: { token: e.ACTIVITY_TOKEN ?? null, pageKinds: e.PAGE_ACTIVITY_KINDS ?? [] },
    /** When a room counts as concentrated by client address (never for the count itself). */
    concentration: { share: e.CONCENTRATION_SHARE, minSessions: e.CONCENTRATION_MIN_SESSIONS },
    countMaxAgeS: e.COUNT_MAX_AGE_S,
    countPollS: e.COUNT_POLL_S,
    countCacheMs: Math.min(e.COUNT_CACHE_MS, e.COUNT_MAX_AGE_S * 1000),
    /** ['*'] allows every origin. */
    corsOrigins: e.CORS_ORIGINS,
    adminToken: e.ADMIN_TOKEN ?? randomBytes(24).toString('base64url'),
    /** True when ADMIN_TOKEN was unset and a random token was made. */
    adminTokenGenerated: e.ADMIN_TOKEN === undefined,
    /** Per client address, in this process; max 0 turns the limit off. */
    rateLimit: {
      max: e.RATE_LIMIT_MAX,
      windowMs: e.RATE_LIMIT_WINDOW_S * 1000,
      addresses: e.RATE_LIMIT_ADDRESSES,
    },
    trustProxy: e.TRUST_PROXY,
    adminCorsOrigins: e.ADMIN_CORS_ORIGINS,
    /** null when neither PRESENCE_SECRET nor PRESENCE_PUBLIC_KEYS is set (every room open). */
    signedRooms:
      e.PRESENCE_SECRET || e.PRESENCE_PUBLIC_KEYS
        ? {
            secrets: e.PRESENCE_SECRET ?? [],
            publicKeys: e.PRESENCE_PUBLIC_KEYS ?? null,
            /** Room ids, or prefixes ending in `*` (`*` alone: every room). */
            rooms: e.SIGNED_ROOMS ?? ['*'],
          }
        : null,
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      idleTimeoutMs: e.HTTP_IDLE_TIMEOUT_MS,
    },
    databaseTimeoutMs: e.DATABASE_TIMEOUT_MS,
    shed: {
      eventLoopDelayMs: e.SHED_EVENT_LOOP_DELAY_MS,
      retryAfterS: e.SHED_RETRY_AFTER_S,
      stretchEventLoopDelayMs:
        e.STRETCH_EVENT_LOOP_DELAY_MS ?? Math.floor(e.SHED_EVENT_LOOP_DELAY_MS / 4),
      stretchFactor: e.STRETCH_FACTOR,
    },
    countBots: e.COUNT_BOTS,
    snapshot: { cron: e.SNAPSHOT_CRON, enabled: e.SNAPSHOT_ENABLED },
    /** How long the archive keeps its rows (days; 0 = for ever) and how the pruning runs. */
    retention: {
      /** Minute rows (snapshots) and their joins by entry. */
      minutesDays: e.RETAIN_MINUTES_DAYS,
      /** Hourly rollups (snapshots_hourly, snapshot_entries_hourly). */
      hoursDays: e.RETAIN_HOURS_DAYS,
      /** Daily rollups (snapshots_daily, snapshot_entries_daily). */
      daysDays: e.RETAIN_DAYS_DAYS,
      /** Closed live periods, by when they ended (open ones are never pruned). */
      livePeriodsDays: e.RETAIN_LIVE_PERIODS_DAYS,
      /** Delivered webhook events, by when they were delivered; dead letters stay. */
      webhookEventsDays: e.WEBHOOK_RETENTION_DAYS,
      /** node-cron expression of the pruning runs. */
      cron: e.RETENTION_CRON,
      /** Rows deleted per statement: each is a short transaction of its own. */
      batchRows: e.RETENTION_BATCH_ROWS,
      /** A run starts no new batch after this long, ms; the next run goes on. */
      maxRunMs: e.RETENTION_MAX_RUN_S * 1000,
    },
    /** null when WEBHOOK_URL is unset: no events are written or sent. */
    webhook:
      e.WEBHOOK_URL && e.WEBHOOK_SECRET
        ? {
            url: e.WEBHOOK_URL,
            secret: e.WEBHOOK_SECRET,
            /** Ascending, each once. */
            thresholds: [...new Set(e.WEBHOOK_THRESHOLDS)].sort((a, b) => a - b),
            hysteresis: e.WEBHOOK_HYSTERESIS,
            concentration: {
              share: e.CONCENTRATION_SHARE,
              minSessions: e.CONCENTRATION_MIN_SESSIONS,
            },
            timeoutMs: e.WEBHOOK_TIMEOUT_MS,
            maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
            retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
            retryMaxMs: Math.max(e.WEBHOOK_RETRY_MAX_MS, e.WEBHOOK_RETRY_BASE_MS),
            pollMs: e.WEBHOOK_POLL_MS,
          }
        : null,
  };
}

export type Config = ReturnType<typeof shape> & {
  /** What the operator should know about the environment read (former names in use). */
  notices: string[];
};
export type WebhookConfig = NonNullable<Config['webhook']>;
export type RetentionConfig = Config['retention'];
export type SignedRoomsConfig = NonNullable<Config['signedRooms']>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
  }
}

/** Reads and validates the environment; throws ConfigError listing every problem. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const notices: string[] = [];
  const values: Record<string, unknown> = {};
  const shown = new Map<string, string>();
  for (const [name, s] of Object.entries(settings) as [SettingName, Setting<unknown>][]) {
    let read: string = name;
    let raw = source[name];
    if (raw && s.formerly && source[s.formerly]) {
      notices.push(`${s.formerly} is ignored: ${name}, its new name, is set`);
    } else if (!raw && s.formerly && source[s.formerly]) {
      read = s.formerly;
      raw = source[s.formerly];
      notices.push(`${s.formerly} is now called ${name}; the former name still works`);
    }
    const text = raw ? raw : s.fallback;
    if (text === undefined) continue;
    const value = s.parse(text);
    const quoted = s.secret ? '(hidden)' : JSON.stringify(text);
    shown.set(name, `${read}=${raw ? quoted : `${quoted} (the default)`}`);
    if (value === undefined) problems.push(`${shown.get(name)}: must be ${s.allowed}`);
    else values[name] = value;
  }
  if (problems.length === 0) {
    const e = values as Environment;
    for (const { name, problem } of checks) {
      const found = problem(e);
      if (found) problems.push(`${shown.get(name) ?? `${name}=(unset)`}: ${found}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...shape(values as Environment), notices };
}
