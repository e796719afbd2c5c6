import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Suites share one machine's Redis and PostgreSQL; each isolates itself by key prefix or schema.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
