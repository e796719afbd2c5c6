// The range picker: the last hour, day, week or 30 days (ending now, moving), or a custom range.
// The picked range is the time axis of every view; the step is the finest that keeps a chart
// readable.

export type Step = '1m' | '5m' | '1h' | '1d';
export const stepMs: Record<Step, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
};

export type RangeName = 'hour' | 'day' | 'week' | 'month' | 'custom';

export const lastMs: Record<Exclude<RangeName, 'custom'>, number> = {
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000,
};

export interface Range {
  name: RangeName;
  fromMs: number;
  toMs: number;
  step: Step;
  /** True when the range ends now and moves with the clock (every range but a custom one). */
  live: boolean;
}

/** At most this many buckets on a chart: a few per pixel on a wide screen. */
const maxBuckets = 1_500;

export function stepFor(spanMs: number): Step {
  const steps = Object.keys(stepMs) as Step[];
  return steps.find((s) => spanMs / stepMs[s] <= maxBuckets) ?? '1d';
}

export function lastRange(name: Exclude<RangeName, 'custom'>, nowMs = Date.now()): Range {
  const span = lastMs[name];
  return { name, fromMs: nowMs - span, toMs: nowMs, step: stepFor(span), live: true };
}

export function customRange(fromMs: number, toMs: number): Range {
  return { name: 'custom', fromMs, toMs, step: stepFor(toMs - fromMs), live: false };
}

/** The range moved to now, for a live range; a custom range stays as it is. */
export const current = (range: Range): Range =>
  range.name === 'custom' ? range : lastRange(range.name);

const rangeKey = 'headcountDashboardRange';

export function savedRange(): Range {
  const saved = localStorage.getItem(rangeKey);
  if (saved === 'hour' || saved === 'day' || saved === 'week' || saved === 'month') {
    return lastRange(saved);
  }
  return lastRange('day');
}

export function saveRange(range: Range): void {
  if (range.name !== 'custom') localStorage.setItem(rangeKey, range.name);
}

/** Value of an <input type="datetime-local"> for a time, in the viewer's zone. */
export function localInputValue(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

export const query = (range: Range) =>
  `from=${new Date(range.fromMs).toISOString()}&to=${new Date(range.toMs).toISOString()}`;
