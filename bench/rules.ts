// The rules of the benchmarks that drive the service: the shipped intervals, with ttls long
// enough that every loaded session stays online for a whole run.
import type { PresenceRules } from '../src/presence/store.js';

export const longTtlRules: PresenceRules = {
  visibleTtlMs: 3_600_000,
  hiddenTtlMs: 3_600_000,
  leaveGraceMs: 5_000,
  visibleIntervalMs: 15_000,
  hiddenIntervalMs: 60_000,
};
