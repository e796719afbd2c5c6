// Scale tests and long property runs run in full in CI (CI=true) and with HEADCOUNT_LONG=1; a
// developer's `npm test` runs them smaller, checking the same rules in a fraction of the time.
import { inCI } from './redis.js';

export const longRuns = inCI || process.env.HEADCOUNT_LONG === '1';
