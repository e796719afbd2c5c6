// The one place environment variables are read. Everything is validated at start; a bad value
// stops the process with one line per problem naming the variable, the value and what is allowed.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import type { PresenceRules } from './presence/store.js';

const seconds = (fallback: number, max = 86_400) =>
  z.coerce
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1 second')
    .max(max, `must be at most ${max} seconds`)
    .default(fallback);

/** Days a kind of archive row is kept; 0 means for ever. */
const keptDays = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a number of days' })
    .int('must be a whole number of days')
    .min(0, 'must be 0 (for ever) or more')
    .max(36_500, 'must be at most 36500 days')
    .default(fallback);

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

const optionalUrl = (protocols: RegExp, what: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || v.split(',').every((u) => protocols.test(u.trim())), {
      message: `must be ${what}`,
    });

const roomPattern = /^[A-Za-z0-9._:@-]{1,128}$/;

/** `kid:secret` entries, or one plain secret; secrets are raw strings of at least 32 bytes. */
const presenceSecrets = z
  .string()
  .optional()
  .transform((v, ctx): PresenceSecret[] => {
    if (!v) return [];
    const secrets = v.split(',').map((entry): PresenceSecret => {
      const match = /^([A-Za-z0-9._-]{1,64}):(.+)$/.exec(entry.trim());
      return match ? { kid: match[1]!, secret: match[2]! } : { kid: null, secret: entry.trim() };
    });
    const problems: string[] = [];
    if (secrets.some((s) => Buffer.byteLength(s.secret) < 32)) {
      problems.push('every secret must be at least 32 bytes (openssl rand -base64 32)');
    }
    const kids = secrets.map((s) => s.kid ?? '');
    if (new Set(kids).size !== kids.length) {
      problems.push('each kid may appear once, and at most one secret may have no kid');
    }
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return secrets;
  });

/** A JSON Web Key Set of public keys, each with kid and alg. */
const publicKeys = z
  .string()
  .optional()
  .transform((v, ctx): JSONWebKeySet | null => {
    if (!v) return null;
    const message =
      'must be a JSON Web Key Set {"keys":[...]} of public keys, each with kid and alg EdDSA, RS256 or ES256';
    try {
      const set = JSON.parse(v) as { keys?: unknown };
      const keys = Array.isArray(set.keys) ? (set.keys as Record<string, unknown>[]) : [];
      const usable = (k: Record<string, unknown>) =>
        typeof k.kid === 'string' &&
        ['EdDSA', 'RS256', 'ES256'].includes(String(k.alg)) &&
        k.d === undefined;
      if (keys.length > 0 && keys.every(usable)) return { keys } as JSONWebKeySet;
    } catch {}
    ctx.addIssue({ code: 'custom', message });
    return null;
  });

/** Room ids or prefixes ending in `*`, comma-separated; `*` alone is every room. */
const signedRooms = z
  .string()
  .optional()
  .transform((v) =>
    v
      ?.split(',')
      .map((r) => r.trim())
      .filter(Boolean),
  )
  .refine(
    (rooms) =>
      rooms === undefined ||
      (rooms.length > 0 && rooms.every((r) => r === '*' || roomPattern.test(r.replace(/\*$/, '')))),
    'must be room ids or prefixes ending in *, comma-separated (* = every room)',
  );

/** Browser origins, comma-separated; never `*`. */
const adminCorsOrigins = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .refine(
    (origins) => origins.every((o) => /^https?:\/\/[^/\s*]+$/.test(o)),
    'must be origins such as https://ops.example.com, comma-separated; * is not allowed',
  );

/** A hop count, or trusted proxy addresses and CIDR ranges; never "trust every address". */
const trustProxy = z
  .string()
  .default('0')
  .transform((v, ctx): TrustProxy => {
    const value = v.trim();
    if (value === 'false' || /^\d+$/.test(value)) {
      const hops = value === 'false' ? 0 : Number(value);
      if (hops <= 16) return hops === 0 ? false : hops;
    }
    const entries = value
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    const valid = (entry: string) => {
      const [address = '', bits, extra] = entry.split('/');
      const family = isIP(address);
      if (family === 0 || extra !== undefined) return false;
      if (bits === undefined) return true;
      const n = Number(bits);
      return /^\d+$/.test(bits) && n <= (family === 4 ? 32 : 128);
    };
    if (entries.length === 0 || !entries.every(valid)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'must be a hop count (0-16) or trusted proxy addresses or CIDR ranges, comma-separated; "true" (trust any address) is not allowed',
      });
    }
    return entries;
  });

const env = z
  .object({
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a port number')
      .min(0)
      .max(65_535)
      .default(8080),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
    REDIS_URL: optionalUrl(
      /^rediss?:\/\/.+/,
      'a redis:// or rediss:// URL (comma-separated with REDIS_CLUSTER=true)',
    ),
    REDIS_CLUSTER: flag(false),
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'must be 1-32 characters of A-Z a-z 0-9 _ . -')
      .default('hc'),
    STORE_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
    DATABASE_URL: optionalUrl(/^postgres(ql)?:\/\/.+/, 'a postgres:// or postgresql:// URL'),
    DATA_DIR: z.string().min(1).default('./data'),
    HEARTBEAT_TTL_S: seconds(45),
    HIDDEN_TTL_S: seconds(150),
    LEAVE_GRACE_S: seconds(5, 3_600),
    HEARTBEAT_INTERVAL_S: seconds(15),
    HIDDEN_INTERVAL_S: seconds(60),
    COUNT_MAX_AGE_S: z.coerce.number().int().min(0).max(3_600).default(2),
    COUNT_CACHE_MS: z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int('must be a whole number of milliseconds')
      .min(0, 'must be 0 (off) or more')
      .max(60_000, 'must be at most 60000')
      .default(250),
    CORS_ORIGINS: z.string().min(1).default('*'),
    ADMIN_TOKEN: z
      .string()
      .optional()
      .refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
    // 10 000 pages behind one address, joining within a minute and beating every 15 s, send about
    // 840 requests a second; the limit is 3 000 a second, in windows of 10 s (see README).
    RATE_LIMIT_MAX: z.coerce
      .number({ error: 'must be a number of requests' })
      .int('must be a whole number of requests')
      .min(0, 'must be 0 (off) or more')
      .default(30_000),
    RATE_LIMIT_WINDOW_S: seconds(10, 3_600),
    RATE_LIMIT_ADDRESSES: z.coerce
      .number({ error: 'must be a number of addresses' })
      .int('must be a whole number of addresses')
      .min(100, 'must be at least 100')
      .max(10_000_000, 'must be at most 10000000')
      .default(100_000),
    TRUST_PROXY: trustProxy,
    ADMIN_CORS_ORIGINS: adminCorsOrigins,
    PRESENCE_SECRET: presenceSecrets,
    PRESENCE_PUBLIC_KEYS: publicKeys,
    SIGNED_ROOMS: signedRooms,
    MAX_SESSIONS_PER_VIEWER: z.coerce
      .number({ error: 'must be a number of sessions' })
      .int('must be a whole number of sessions')
      .min(1, 'must be at least 1')
      .max(10_000, 'must be at most 10000')
      .default(10),
    // One room's heartbeats a second level off past this size: its pages are told a longer
    // interval, one step per this many online sessions (see README, "Very large rooms").
    LARGE_ROOM_SESSIONS: z.coerce
      .number({ error: 'must be a number of sessions' })
      .int('must be a whole number of sessions')
      .min(0, 'must be 0 (never stretch) or more')
      .max(100_000_000, 'must be at most 100000000')
      .default(200_000),
    HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
    HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(65_000),
    DATABASE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
    SHED_EVENT_LOOP_DELAY_MS: z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int()
      .min(0, 'must be 0 (off) or more')
      .max(60_000)
      .default(1_000),
    SHED_RETRY_AFTER_S: seconds(5, 600),
    STRETCH_EVENT_LOOP_DELAY_MS: z.coerce
      .number({ error: 'must be a number of milliseconds' })
      .int()
      .min(0, 'must be 0 (off) or more')
      .max(60_000)
      .optional(),
    STRETCH_FACTOR: z.coerce
      .number({ error: 'must be a whole number from 2 to 9' })
      .int('must be a whole number from 2 to 9')
      .min(2, 'must be at least 2')
      .max(9, 'must be at most 9')
      .default(2),
    COUNT_BOTS: flag(false),
    SNAPSHOT_CRON: z.string().min(1).default('* * * * *'),
    SNAPSHOT_ENABLED: flag(true),
    // How long the archive keeps each kind of row, days; 0 keeps it for ever (docs/analytics.md).
    RETAIN_MINUTES_DAYS: keptDays(30),
    RETAIN_HOURS_DAYS: keptDays(730),
    RETAIN_DAYS_DAYS: keptDays(0),
    RETAIN_LIVE_PERIODS_DAYS: keptDays(730),
    RETENTION_CRON: z.string().min(1).default('*/10 * * * *'),
    RETENTION_BATCH_ROWS: z.coerce
      .number({ error: 'must be a number of rows' })
      .int('must be a whole number of rows')
      .min(100, 'must be at least 100')
      .max(1_000_000, 'must be at most 1000000')
      .default(5_000),
    RETENTION_MAX_RUN_S: seconds(120, 3_600),
    WEBHOOK_URL: optionalUrl(/^https?:\/\/[^,]+$/, 'an http:// or https:// URL'),
    WEBHOOK_SECRET: z
      .string()
      .optional()
      .refine((v) => v === undefined || isWebhookSecret(v), {
        message: 'must be whsec_ followed by 24 to 64 bytes in base64 (Standard Webhooks)',
      }),
    WEBHOOK_THRESHOLDS: z
      .string()
      .default('')
      .refine((v) => v.trim() === '' || v.split(',').every((n) => /^\s*[1-9]\d{0,8}\s*$/.test(n)), {
        message: 'must be whole numbers of sessions (at least 1), comma-separated',
      }),
    WEBHOOK_HYSTERESIS: z.coerce
      .number({ error: 'must be a fraction between 0 and 0.9' })
      .min(0, 'must be at least 0')
      .max(0.9, 'must be at most 0.9')
      .default(0.1),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(18),
    WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(1_000),
    WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(10).max(86_400_000).default(3_600_000),
    WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
    WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(14),
  })
  .superRefine((e, ctx) => {
    // A coarser rollup outlives the finer rows it sums, so history always has something to answer
    // from, and a row the snapshot replaces still has its rollup to correct.
    const forEver = (days: number) => (days === 0 ? Number.POSITIVE_INFINITY : days);
    const tiers = [
      ['RETAIN_MINUTES_DAYS', e.RETAIN_MINUTES_DAYS],
      ['RETAIN_HOURS_DAYS', e.RETAIN_HOURS_DAYS],
      ['RETAIN_DAYS_DAYS', e.RETAIN_DAYS_DAYS],
    ] as const;
    for (let i = 1; i < tiers.length; i++) {
      const [finer, finerDays] = tiers[i - 1]!;
      const [coarser, coarserDays] = tiers[i]!;
      if (forEver(coarserDays) < forEver(finerDays)) {
        ctx.addIssue({
          code: 'custom',
          path: [coarser],
          message: `must keep rows at least as long as ${finer} (${finerDays === 0 ? 'for ever' : `${finerDays} days`}); 0 keeps them for ever`,
        });
      }
    }
    if (
      e.SHED_EVENT_LOOP_DELAY_MS > 0 &&
      e.STRETCH_EVENT_LOOP_DELAY_MS !== undefined &&
      e.STRETCH_EVENT_LOOP_DELAY_MS >= e.SHED_EVENT_LOOP_DELAY_MS
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['STRETCH_EVENT_LOOP_DELAY_MS'],
        message: `must be below SHED_EVENT_LOOP_DELAY_MS (${e.SHED_EVENT_LOOP_DELAY_MS}): pages are slowed before any is refused`,
      });
    }
    if (e.HTTP_REQUEST_TIMEOUT_MS < e.HTTP_HEADERS_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['HTTP_REQUEST_TIMEOUT_MS'],
        message: `must be at least HTTP_HEADERS_TIMEOUT_MS (${e.HTTP_HEADERS_TIMEOUT_MS}): a request includes its headers`,
      });
    }
    if (e.WEBHOOK_URL && !e.WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_SECRET'],
        message: 'must be set when WEBHOOK_URL is (whsec_ followed by a base64 key)',
      });
    }
    if (e.HEARTBEAT_TTL_S <= e.HEARTBEAT_INTERVAL_S) {
      ctx.addIssue({
        code: 'custom',
        path: ['HEARTBEAT_TTL_S'],
        message: `must be greater than HEARTBEAT_INTERVAL_S (${e.HEARTBEAT_INTERVAL_S}), or sessions would expire between heartbeats`,
      });
    }
    if (e.HIDDEN_TTL_S <= e.HIDDEN_INTERVAL_S) {
      ctx.addIssue({
        code: 'custom',
        path: ['HIDDEN_TTL_S'],
        message: `must be greater than HIDDEN_INTERVAL_S (${e.HIDDEN_INTERVAL_S}), or hidden sessions would expire between heartbeats`,
      });
    }
    if (e.PRESENCE_SECRET.length === 0 && !e.PRESENCE_PUBLIC_KEYS && e.SIGNED_ROOMS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SIGNED_ROOMS'],
        message:
          'needs PRESENCE_SECRET or PRESENCE_PUBLIC_KEYS: without a key no room can be signed',
      });
    }
  });

export interface PresenceSecret {
  /** The JWT header's kid that selects this secret; null: the secret of tokens without a kid. */
  kid: string | null;
  secret: string;
}

/** Fastify's trustProxy: false, a hop count, or trusted proxy addresses and CIDR ranges. */
export type TrustProxy = false | number | string[];

/** Where webhooks go, how they are signed and retried; thresholds for room.threshold. */
export interface WebhookConfig {
  url: string;
  /** Standard Webhooks secret, whsec_… */
  secret: string;
  /** Session counts that send room.threshold when crossed, ascending. */
  thresholds: number[];
  /** A room above a threshold T is below again when its sessions fall under T × (1 − hysteresis). */
  hysteresis: number;
  /** Longest wait for a receiver's answer, per attempt, ms. */
  timeoutMs: number;
  /** Attempts before an event is dead (kept, visible to the admin, no longer retried). */
  maxAttempts: number;
  /** Delay before the first retry, ms; doubles each attempt (with jitter) up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often each instance looks for due events, ms. */
  pollMs: number;
  /** Delivered events are deleted this many days after delivery (dead letters are kept). */
  retentionDays: number;
}

export interface Config {
  host: string;
  port: number;
  logLevel: string;
  /** auto: pretty in a terminal (when pino-pretty is installed), JSON lines otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  redis: { urls: string[]; cluster: boolean; prefix: string; timeoutMs: number } | null;
  /** Key prefix, also used by the embedded store. */
  prefix: string;
  /** null: embedded PostgreSQL (PGlite) in dataDir. */
  databaseUrl: string | null;
  dataDir: string;
  rules: PresenceRules;
  countMaxAgeS: number;
  /** How old a count this instance answers from its cache may be, ms (never above countMaxAgeS). */
  countCacheMs: number;
  /** ['*'] allows every origin. */
  corsOrigins: string[];
  adminToken: string;
  /** True when ADMIN_TOKEN was unset and a random token was made. */
  adminTokenGenerated: boolean;
  /**
   * Per client address, in this process; max 0 turns the limit off (behind a gateway that limits
   * already). `addresses`: how many addresses are tracked at once (least recently seen go first).
   */
  rateLimit: { max: number; windowMs: number; addresses: number };
  /** Whose X-Forwarded-For is believed: the client address is the one the nearest trusted proxy saw. */
  trustProxy: TrustProxy;
  /** Origins allowed to call admin and analyst routes from a browser; [] = none. */
  adminCorsOrigins: string[];
  /** Signed rooms; null when neither PRESENCE_SECRET nor PRESENCE_PUBLIC_KEYS is set (all open). */
  signedRooms: SignedRoomsConfig | null;
  /** Bounds on what a client may make the server wait for, ms. */
  http: {
    /** Until the request's headers are complete. */
    headersTimeoutMs: number;
    /** Until the whole request (headers and body) is in. */
    requestTimeoutMs: number;
    /** A keep-alive connection with no request, or a socket with no activity, is closed after this. */
    idleTimeoutMs: number;
  };
  /**
   * Load shedding: past this mean event-loop delay (ms, sampled every 250 ms), requests other than
   * health and metrics get 503 with Retry-After retryAfterS; 0 turns it off.
   */
  shed: {
    eventLoopDelayMs: number;
    retryAfterS: number;
    /** Past this delay (ms; 0 = off), sustained, heartbeats are told an interval stretchFactor times longer. */
    stretchEventLoopDelayMs: number;
    stretchFactor: number;
  };
  /** Longest wait for an archive read or a readiness check of the database, ms. */
  databaseTimeoutMs: number;
  countBots: boolean;
  snapshot: { cron: string; enabled: boolean };
  retention: RetentionConfig;
  /** null when WEBHOOK_URL is unset: no events are written or sent. */
  webhook: WebhookConfig | null;
}

/** How long the archive keeps its rows (days; 0 = for ever) and how the pruning runs. */
export interface RetentionConfig {
  /** Minute rows (snapshots) and their joins by entry. */
  minutesDays: number;
  /** Hourly rollups (snapshots_hourly, snapshot_entries_hourly). */
  hoursDays: number;
  /** Daily rollups (snapshots_daily, snapshot_entries_daily). */
  daysDays: number;
  /** Closed live periods, by when they ended (open ones are never pruned). */
  livePeriodsDays: number;
  /** Delivered webhook events, by when they were delivered (WEBHOOK_RETENTION_DAYS); dead letters stay. */
  webhookEventsDays: number;
  /** node-cron expression of the pruning runs. */
  cron: string;
  /** Rows deleted per statement: each is a short transaction of its own. */
  batchRows: number;
  /** A run starts no new batch after this long, ms; the next run goes on. */
  maxRunMs: number;
}

function isWebhookSecret(value: string): boolean {
  const key = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value)?.[1];
  if (!key) return false;
  const bytes = Buffer.from(key, 'base64').length;
  return bytes >= 24 && bytes <= 64;
}

export interface SignedRoomsConfig {
  secrets: PresenceSecret[];
  /** Public keys (EdDSA, RS256, ES256) of PRESENCE_PUBLIC_KEYS, chosen by kid; null: none. */
  publicKeys: JSONWebKeySet | null;
  /** Room ids, or prefixes ending in `*` (`*` alone: every room). */
  rooms: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
  }
}

/** Variables whose value never appears in a configuration error (it would land in the log). */
const secretVariables = new Set(['ADMIN_TOKEN', 'PRESENCE_SECRET']);

/** Reads and validates the environment; throws ConfigError listing every problem. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(
    Object.entries(source).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = env.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const value = raw[name];
        const shown =
          value === undefined
            ? '(unset)'
            : secretVariables.has(name)
              ? '(hidden)'
              : JSON.stringify(value);
        return `${name}=${shown}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const adminToken = e.ADMIN_TOKEN ?? randomBytes(24).toString('base64url');
  return {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    redis: e.REDIS_URL
      ? {
          urls: e.REDIS_URL.split(',').map((u) => u.trim()),
          cluster: e.REDIS_CLUSTER,
          prefix: e.REDIS_PREFIX,
          timeoutMs: e.STORE_TIMEOUT_MS,
        }
      : null,
    prefix: e.REDIS_PREFIX,
    databaseUrl: e.DATABASE_URL ?? null,
    dataDir: e.DATA_DIR,
    rules: {
      visibleTtlMs: e.HEARTBEAT_TTL_S * 1000,
      hiddenTtlMs: e.HIDDEN_TTL_S * 1000,
      leaveGraceMs: e.LEAVE_GRACE_S * 1000,
      visibleIntervalMs: e.HEARTBEAT_INTERVAL_S * 1000,
      hiddenIntervalMs: e.HIDDEN_INTERVAL_S * 1000,
      maxSessionsPerViewer: e.MAX_SESSIONS_PER_VIEWER,
      largeRoomSessions: e.LARGE_ROOM_SESSIONS,
    },
    countMaxAgeS: e.COUNT_MAX_AGE_S,
    countCacheMs: Math.min(e.COUNT_CACHE_MS, e.COUNT_MAX_AGE_S * 1000),
    corsOrigins: e.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    adminToken,
    adminTokenGenerated: e.ADMIN_TOKEN === undefined,
    rateLimit: {
      max: e.RATE_LIMIT_MAX,
      windowMs: e.RATE_LIMIT_WINDOW_S * 1000,
      addresses: e.RATE_LIMIT_ADDRESSES,
    },
    trustProxy: e.TRUST_PROXY,
    adminCorsOrigins: e.ADMIN_CORS_ORIGINS,
    signedRooms:
      e.PRESENCE_SECRET.length > 0 || e.PRESENCE_PUBLIC_KEYS
        ? {
            secrets: e.PRESENCE_SECRET,
            publicKeys: e.PRESENCE_PUBLIC_KEYS,
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
      // Unset: a quarter of the shedding limit (250 ms by default).
      stretchEventLoopDelayMs:
        e.STRETCH_EVENT_LOOP_DELAY_MS ?? Math.floor(e.SHED_EVENT_LOOP_DELAY_MS / 4),
      stretchFactor: e.STRETCH_FACTOR,
    },
    countBots: e.COUNT_BOTS,
    snapshot: { cron: e.SNAPSHOT_CRON, enabled: e.SNAPSHOT_ENABLED },
    retention: {
      minutesDays: e.RETAIN_MINUTES_DAYS,
      hoursDays: e.RETAIN_HOURS_DAYS,
      daysDays: e.RETAIN_DAYS_DAYS,
      livePeriodsDays: e.RETAIN_LIVE_PERIODS_DAYS,
      webhookEventsDays: e.WEBHOOK_RETENTION_DAYS,
      cron: e.RETENTION_CRON,
      batchRows: e.RETENTION_BATCH_ROWS,
      maxRunMs: e.RETENTION_MAX_RUN_S * 1000,
    },
    webhook:
      e.WEBHOOK_URL && e.WEBHOOK_SECRET
        ? {
            url: e.WEBHOOK_URL,
            secret: e.WEBHOOK_SECRET,
            thresholds: [
              ...new Set(
                e.WEBHOOK_THRESHOLDS.split(',')
                  .filter((n) => n.trim() !== '')
                  .map(Number),
              ),
            ].sort((a, b) => a - b),
            hysteresis: e.WEBHOOK_HYSTERESIS,
            timeoutMs: e.WEBHOOK_TIMEOUT_MS,
            maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
            retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
            retryMaxMs: Math.max(e.WEBHOOK_RETRY_MAX_MS, e.WEBHOOK_RETRY_BASE_MS),
            pollMs: e.WEBHOOK_POLL_MS,
            retentionDays: e.WEBHOOK_RETENTION_DAYS,
          }
        : null,
  };
}
