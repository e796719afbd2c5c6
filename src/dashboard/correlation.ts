// Whether a room's activity moved with its viewers (or joins): Pearson's r of two per-minute
// series at the best lag from −maxLagMin to +maxLagMin minutes, and the sentence that says so.
// Lag convention: a positive lag means activity comes after viewers — activity at minute t + lag
// is paired with viewers at minute t.

/** Lags tried, in minutes either side of 0. */
export const maxLagMin = 10;
/** Fewer minutes than this with both series (at a lag) is not enough to say anything. */
export const minMinutes = 30;
/** Below this |r| at every lag, the series did not move together. */
export const weakR = 0.3;

/** A per-minute series, one value per minute of the range; null where nothing was archived. */
export type MinuteSeries = readonly (number | null)[];

/** Pearson's r of paired values; null when fewer than two pairs or either side is constant. */
export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // A constant series has no variance: r is undefined, not 0. The tolerance absorbs the rounding
  // of a mean that cannot be written exactly in binary.
  const tiny = (s: number, m: number) => s <= 1e-12 * n * Math.max(1, m * m);
  if (tiny(sxx, mx) || tiny(syy, my)) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** The minutes where both series have a value, activity taken lagMin minutes after viewers. */
export function pairsAt(
  viewers: MinuteSeries,
  activity: MinuteSeries,
  lagMin: number,
): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let t = 0; t < viewers.length; t++) {
    const x = viewers[t];
    const y = activity[t + lagMin];
    if (x === null || x === undefined || y === null || y === undefined) continue;
    xs.push(x);
    ys.push(y);
  }
  return { xs, ys };
}

const isConstant = (values: readonly number[]) => values.every((v) => v === values[0]);

export type Fit =
  /** Fewer than minMinutes minutes with both series at every lag; minutes: the most at any lag. */
  | { kind: 'not-enough'; minutes: number }
  /** Enough minutes, but a series did not change over them: r is undefined. */
  | { kind: 'constant'; which: 'activity' | 'other' | 'both'; minutes: number }
  /** The lag with the largest |r| (the smaller |lag| on a tie, then the earlier). */
  | { kind: 'fit'; lagMin: number; r: number; minutes: number };

/**
 * The best lag of activity against another per-minute series (viewers, joins) from −maxLag to
 * +maxLag minutes, among the lags with at least minPairs minutes of both.
 */
export function bestLag(
  other: MinuteSeries,
  activity: MinuteSeries,
  { maxLag = maxLagMin, minPairs = minMinutes }: { maxLag?: number; minPairs?: number } = {},
): Fit {
  let most = 0;
  let best: { lagMin: number; r: number; minutes: number } | null = null;
  let constant: { activity: boolean; other: boolean; minutes: number } | null = null;
  // 0 first, then ±1, ±2…: on a tie of |r| the lag closest to 0 stays.
  const lags = [0];
  for (let k = 1; k <= maxLag; k++) lags.push(-k, k);
  for (const lagMin of lags) {
    const { xs, ys } = pairsAt(other, activity, lagMin);
    most = Math.max(most, xs.length);
    if (xs.length < minPairs) continue;
    const r = pearson(xs, ys);
    if (r === null) {
      constant ??= { activity: isConstant(ys), other: isConstant(xs), minutes: xs.length };
      continue;
    }
    if (!best || Math.abs(r) > Math.abs(best.r) + 1e-12) best = { lagMin, r, minutes: xs.length };
  }
  if (best) return { kind: 'fit', ...best };
  if (constant) {
    const which =
      constant.activity && constant.other ? 'both' : constant.activity ? 'activity' : 'other';
    return { kind: 'constant', which, minutes: constant.minutes };
  }
  return { kind: 'not-enough', minutes: most };
}

const minutesIn = (n: number) => `${n} minute${n === 1 ? '' : 's'}`;
const rIn = (r: number) => (r < 0 ? `−${Math.abs(r).toFixed(2)}` : r.toFixed(2));
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * One sentence on a fit: `what` is the activity ("comments", "activity"), `against` the other
 * series ("viewers", "joins"). "Comments followed viewers by 3 minutes (r = 0.82 over 57
 * minutes)."
 */
export function fitSentence(what: string, against: string, fit: Fit): string {
  const subject = capital(what);
  switch (fit.kind) {
    case 'not-enough':
      return `${subject} against ${against}: not enough data (${minutesIn(fit.minutes)} with both; ${minMinutes} needed).`;
    case 'constant': {
      const still = fit.which === 'other' ? against : fit.which === 'both' ? 'both' : what;
      return `${subject} against ${against}: r is undefined, ${still} did not change over ${minutesIn(fit.minutes)}.`;
    }
    case 'fit': {
      const { lagMin, r } = fit;
      const stats = `(r = ${rIn(r)} over ${minutesIn(fit.minutes)})`;
      if (Math.abs(r) < weakR) {
        return `${subject} did not move with ${against} (|r| < ${weakR} at every lag from −${maxLagMin} to +${maxLagMin} minutes; strongest r = ${rIn(r)} at ${lagMin > 0 ? '+' : ''}${lagMin} min).`;
      }
      const by = minutesIn(Math.abs(lagMin));
      if (r > 0) {
        if (lagMin > 0) return `${subject} followed ${against} by ${by} ${stats}.`;
        if (lagMin < 0) return `${subject} led ${against} by ${by} ${stats}.`;
        return `${subject} moved with ${against} in the same minute ${stats}.`;
      }
      const when =
        lagMin > 0 ? `${by} after them` : lagMin < 0 ? `${by} before them` : 'in the same minute';
      return `${subject} moved opposite to ${against}, ${when} ${stats}.`;
    }
  }
}
