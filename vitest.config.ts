import { defineConfig } from 'vitest/config';
import RealTimeFirst from './test/support/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Suites share one machine's Redis and PostgreSQL; each isolates itself by key prefix or schema.
    fileParallelism: true,
    // Most test files wait on real time (browsers, Redis clocks, sleeps of the fault tests), so four
    // files at once fit two cores: 309 s → 227 s of wall time for npm test on the 2-core reference
    // machine. CI keeps two, so that the timing-sensitive fault tests run with headroom.
    maxWorkers: process.env.CI ? 2 : 4,
    sequence: { sequencer: RealTimeFirst },
  },
});
