// Where the stand-alone benches find Redis and PostgreSQL (npm run bench starts its own and passes
// them in).

/** BENCH_REDIS_URL, default the local Redis. */
export const benchRedisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** BENCH_DATABASE_URL, default the local test database; null (PGlite in memory) with BENCH_DB=pglite. */
export const benchDatabaseUrl =
  process.env.BENCH_DB === 'pglite'
    ? null
    : (process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
