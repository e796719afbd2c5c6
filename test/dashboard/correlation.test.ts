// Whether activity moved with viewers, without a browser: Pearson's r of known series, the lag
// found on a series shifted by k minutes (positive = activity after viewers), not enough data
// under 30 minutes, an undefined r for a constant series; and the per-minute activity the chart
// draws. The browser suite checks the sentence on the page.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type ActivityPoint,
  activityRows,
  allKinds,
  drawnKinds,
  maxDrawnKinds,
  minuteSeries,
  otherKinds,
} from '../../src/dashboard/activity.js';
import {
  bestLag,
  fitSentence,
  maxLagMin,
  minMinutes,
  pearson,
  weakR,
} from '../../src/dashboard/correlation.js';
import { customRange } from '../../src/dashboard/ranges.js';

/** A varied curve: a rise, a fall and a wobble, so that no two lags look alike. */
const viewersAt = (t: number) => 50 + 30 * Math.sin(t / 7) + 12 * Math.sin(t / 2.3) + t / 3;
/** A deterministic noise in [−0.5, 0.5). */
const noise = (t: number) => {
  const x = Math.sin(t * 12.9898) * 43_758.5453;
  return x - Math.floor(x) - 0.5;
};
const minutes = (n: number, f: (t: number) => number | null) =>
  Array.from({ length: n }, (_, t) => f(t));

describe("Pearson's r", () => {
  it('is 1 for a line rising with the other, −1 for one falling, and ~0 for unrelated ones', () => {
    expect(pearson([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3, 4], [8, 6, 4, 2])).toBeCloseTo(-1, 12);
    // x and x² around 0 are uncorrelated.
    expect(pearson([-2, -1, 0, 1, 2], [4, 1, 0, 1, 4])).toBeCloseTo(0, 12);
  });

  it('matches a value worked by hand', () => {
    // Σdxdy = 6, Σdx² = 10, Σdy² = 6 → r = 6 / √60.
    expect(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toBeCloseTo(6 / Math.sqrt(60), 12);
    // Σdxdy = 8, Σdx² = 10, Σdy² = 10 → r = 0.8.
    expect(pearson([1, 2, 3, 4, 5], [1, 3, 2, 5, 4])).toBeCloseTo(0.8, 12);
  });

  it('is undefined (null) for a constant series or fewer than two pairs', () => {
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNull();
    expect(pearson([0.1, 0.1, 0.1], [1, 2, 3])).toBeNull();
    expect(pearson([1], [2])).toBeNull();
  });
});

describe('the best lag', () => {
  const viewers = minutes(90, viewersAt);

  for (const k of [4, -3, 0, maxLagMin]) {
    it(`finds activity shifted ${k} minutes after viewers at lag ${k}`, () => {
      // Activity at minute t is what viewers were k minutes earlier, times 0.4, with noise.
      const activity = minutes(90, (t) =>
        t - k >= 0 && t - k < 90 ? 0.4 * viewersAt(t - k) + noise(t) : null,
      );
      const fit = bestLag(viewers, activity);
      expect(fit).toMatchObject({ kind: 'fit', lagMin: k });
      if (fit.kind === 'fit') expect(fit.r).toBeGreaterThan(0.99);
    });
  }

  it('says which way: activity falling as viewers rise 2 minutes earlier is r < 0 at lag 2', () => {
    const activity = minutes(90, (t) => (t >= 2 ? 200 - viewersAt(t - 2) : null));
    expect(bestLag(viewers, activity)).toMatchObject({ kind: 'fit', lagMin: 2 });
    const fit = bestLag(viewers, activity);
    expect(fit.kind === 'fit' && fit.r).toBeCloseTo(-1, 6);
    expect(fitSentence('comments', 'viewers', fit)).toMatch(
      /^Comments moved opposite to viewers, 2 minutes after them \(r = −1\.00 over \d+ minutes\)\.$/,
    );
  });

  it('skips the minutes missing in either series', () => {
    const gappy = viewers.map((v, t) => (t % 5 === 0 ? null : v));
    const activity = minutes(90, (t) => (t >= 4 ? 2 * viewersAt(t - 4) : null));
    expect(bestLag(gappy, activity)).toMatchObject({ kind: 'fit', lagMin: 4 });
  });

  it(`is not enough data under ${minMinutes} minutes with both, and enough at ${minMinutes}`, () => {
    const short = viewers.slice(0, minMinutes - 1);
    expect(bestLag(short, short)).toEqual({ kind: 'not-enough', minutes: minMinutes - 1 });
    // Both series over 40 minutes, overlapping in 29 of them.
    const early = minutes(40, (t) => (t < 29 ? viewersAt(t) : null));
    const late = minutes(40, (t) => (t >= 11 ? viewersAt(t) : null));
    expect(bestLag(late, early)).toMatchObject({ kind: 'not-enough' });
    expect(bestLag(late, early, { maxLag: 0 })).toEqual({ kind: 'not-enough', minutes: 18 });
    expect(bestLag(viewers.slice(0, minMinutes), viewers.slice(0, minMinutes))).toMatchObject({
      kind: 'fit',
      lagMin: 0,
      minutes: minMinutes,
    });
    expect(fitSentence('activity', 'viewers', { kind: 'not-enough', minutes: 12 })).toBe(
      `Activity against viewers: not enough data (12 minutes with both; ${minMinutes} needed).`,
    );
  });

  it('says r is undefined when activity (or viewers) did not change', () => {
    const none = minutes(60, () => 0);
    const fit = bestLag(viewers.slice(0, 60), none);
    expect(fit).toEqual({ kind: 'constant', which: 'activity', minutes: 60 });
    expect(fitSentence('comments', 'viewers', fit)).toBe(
      'Comments against viewers: r is undefined, comments did not change over 60 minutes.',
    );
    const flat = bestLag(
      minutes(60, () => 7),
      viewers.slice(0, 60),
    );
    expect(flat).toMatchObject({ kind: 'constant', which: 'other' });
    expect(fitSentence('comments', 'joins', flat)).toMatch(/joins did not change/);
  });

  it('did not move with viewers when |r| stays under 0.3 at every lag', () => {
    // Independent of the viewers curve: a fast wobble of its own.
    const activity = minutes(90, (t) => 5 + ((t * 7919) % 13));
    const fit = bestLag(viewers, activity);
    expect(fit.kind).toBe('fit');
    if (fit.kind === 'fit') expect(Math.abs(fit.r)).toBeLessThan(0.3);
    expect(fitSentence('activity', 'viewers', fit)).toMatch(
      /^Activity did not move with viewers \(\|r\| < 0\.3 at every lag from −10 to \+10 minutes; strongest r = −?0\.\d\d at [+-]?\d+ min\)\.$/,
    );
  });

  it('says the lag and its sign in words', () => {
    const found = (lagMin: number, r: number) => ({ kind: 'fit' as const, lagMin, r, minutes: 57 });
    expect(fitSentence('comments', 'viewers', found(3, 0.82))).toBe(
      'Comments followed viewers by 3 minutes (r = 0.82 over 57 minutes).',
    );
    expect(fitSentence('comments', 'joins', found(-1, 0.5))).toBe(
      'Comments led joins by 1 minute (r = 0.50 over 57 minutes).',
    );
    expect(fitSentence('activity', 'viewers', found(0, 0.31))).toBe(
      'Activity moved with viewers in the same minute (r = 0.31 over 57 minutes).',
    );
  });
});

describe('activity per minute', () => {
  const t0 = Date.parse('2026-11-23T10:00:00Z');
  const at = (m: number) => new Date(t0 + m * 60_000).toISOString();
  const point = (m: number, viewers: number, activity: Record<string, number>): ActivityPoint => ({
    at: at(m),
    viewers_avg: viewers,
    joins: m,
    activity,
  });

  it(`draws the ${maxDrawnKinds} largest kinds and sums the rest as other`, () => {
    const kinds = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const points = [point(0, 10, Object.fromEntries(kinds.map((k, i) => [k, 10 - i])))];
    const drawn = drawnKinds(points);
    expect(drawn).toEqual([...kinds.slice(0, maxDrawnKinds), otherKinds]);
    const range = customRange(t0, t0 + 10 * 60_000);
    expect(activityRows(points, range, drawn, false)[0]!.values).toEqual([
      10,
      9,
      8,
      7,
      6,
      5,
      4 + 3,
    ]);
    expect(drawnKinds([point(0, 1, { comment: 1, other: 3 })])).toEqual(['other', 'comment']);
  });

  it('per 100 viewers: events per minute ÷ viewers × 100, nothing where nobody watched', () => {
    const range = customRange(t0, t0 + 10 * 60_000);
    const points = [point(0, 40, { comment: 10 }), point(1, 0, { comment: 2 })];
    const rows = activityRows(points, range, ['comment'], true);
    expect(rows.map((r) => r.values[0])).toEqual([25, null]);
  });

  it('divides an hour bucket by its minutes and leaves a gap where nothing was archived', () => {
    const range = customRange(t0, t0 + 7 * 86_400_000);
    expect(range.step).toBe('1h');
    const points = [point(0, 10, { comment: 120 }), point(180, 10, { comment: 60 })];
    const rows = activityRows(points, range, ['comment'], false);
    expect(rows.map((r) => [(r.atMs - t0) / 60_000, r.values[0]])).toEqual([
      [0, 2],
      [60, null],
      [180, 1],
    ]);
  });

  it('gives the correlation one value a minute: 0 with a snapshot and no events, null without', () => {
    const range = customRange(t0, t0 + 4 * 60_000);
    const points = [
      point(0, 3, { comment: 2, like: 1 }),
      point(1, 4, {}),
      point(3, 5, { like: 4 }),
    ];
    expect(minuteSeries(points, range, allKinds)).toEqual({
      viewers: [3, 4, null, 5],
      joins: [0, 1, null, 3],
      activity: [3, 0, null, 4],
    });
    expect(minuteSeries(points, range, 'comment').activity).toEqual([2, 0, null, 0]);
  });
});

describe("the dashboard's README", () => {
  it('states the numbers the code uses', () => {
    const readme = readFileSync(
      new URL('../../src/dashboard/README.md', import.meta.url),
      'utf8',
    ).replace(/\s+/g, ' ');
    expect(readme).toContain(`the ${maxDrawnKinds} largest kinds`);
    expect(readme).toContain(`at the lag from −${maxLagMin} to +${maxLagMin} minutes`);
    expect(readme).toContain(`a lag needs ${minMinutes} such minutes`);
    expect(readme).toContain(`|r| < ${weakR} at every lag`);
  });
});
