// The one place environment variables are read. Everything is validated at start; a bad value
// stops the process with one line per problem naming the variable, the value and what is allowed.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { PresenceRules } from './presence/store.js';

const seconds = (fallback: number, max = 86_400) =>
  z.coerce
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1 second')
    .max(max, `must be at most ${max} seconds`)
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
    CORS_ORIGINS: z.string().min(1).default('*'),
    ADMIN_TOKEN: z
      .string()
      .optional()
      .refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
    RATE_LIMIT_MAX: z.coerce
      .number({ error: 'must be a number of requests' })
      .int('must be a whole number of requests')
      .min(0, 'must be 0 (off) or more')
      .default(600),
    RATE_LIMIT_WINDOW_S: seconds(60),
    TRUST_PROXY: flag(false),
    COUNT_BOTS: flag(false),
    SNAPSHOT_CRON: z.string().min(1).default('* * * * *'),
    SNAPSHOT_ENABLED: flag(true),
  })
  .superRefine((e, ctx) => {
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
  });

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
  /** ['*'] allows every origin. */
  corsOrigins: string[];
  adminToken: string;
  /** True when ADMIN_TOKEN was unset and a random token was made. */
  adminTokenGenerated: boolean;
  /** Per client address; max 0 turns the limit off (behind a gateway that limits already). */
  rateLimit: { max: number; windowMs: number };
  trustProxy: boolean;
  countBots: boolean;
  snapshot: { cron: string; enabled: boolean };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
  }
}

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
        return `${name}=${value === undefined ? '(unset)' : JSON.stringify(value)}: ${issue.message}`;
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
    },
    countMaxAgeS: e.COUNT_MAX_AGE_S,
    corsOrigins: e.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    adminToken,
    adminTokenGenerated: e.ADMIN_TOKEN === undefined,
    rateLimit: { max: e.RATE_LIMIT_MAX, windowMs: e.RATE_LIMIT_WINDOW_S * 1000 },
    trustProxy: e.TRUST_PROXY,
    countBots: e.COUNT_BOTS,
    snapshot: { cron: e.SNAPSHOT_CRON, enabled: e.SNAPSHOT_ENABLED },
  };
}
