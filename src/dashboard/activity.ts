// What the room is doing: its archived activity per minute by kind, drawn under the viewers line
// on the same axis (a handful of kinds, the rest summed as "other"), per 100 viewers if asked, and
// the per-minute series the correlation sentence is computed from.
import type UPlot from 'uplot';
import type { HistoryPoint } from './answers.js';
import { decimal } from './format.js';
import { type Range, stepMs } from './ranges.js';

/** What the activity chart reads of an archived bucket (history with include=activity). */
export type ActivityPoint = Pick<HistoryPoint, 'at' | 'viewers_avg' | 'joins'> & {
  /** Events in the bucket by kind; kinds with none are absent. */
  activity?: Record<string, number>;
};

/** Kinds drawn on their own, largest first; kinds beyond are summed as "other". */
export const maxDrawnKinds = 6;
/** The series of the kinds not drawn on their own: not a kind's name (a kind starts a-z). */
export const otherKinds = '_other';
/** The sentence's choice: every kind summed, or one kind. */
export const allKinds = '';

/** Every kind in the points, largest total first (then by name), with its total. */
export function kindTotals(points: readonly ActivityPoint[]): [kind: string, total: number][] {
  const totals = new Map<string, number>();
  for (const p of points) {
    for (const [kind, n] of Object.entries(p.activity ?? {})) {
      totals.set(kind, (totals.get(kind) ?? 0) + n);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** The series the chart draws: up to maxDrawnKinds kinds, then "other" for the rest summed. */
export function drawnKinds(points: readonly ActivityPoint[]): string[] {
  const kinds = kindTotals(points).map(([kind]) => kind);
  if (kinds.length <= maxDrawnKinds) return kinds;
  // "other" takes the last place, so that no more than maxDrawnKinds + 1 colours are drawn.
  return [...kinds.slice(0, maxDrawnKinds), otherKinds];
}

/** Events of one drawn series in a bucket: a kind, or every kind not drawn on its own. */
function eventsOf(point: ActivityPoint, series: string, drawn: readonly string[]): number {
  const activity = point.activity ?? {};
  if (series !== otherKinds) return activity[series] ?? 0;
  let sum = 0;
  for (const [kind, n] of Object.entries(activity)) if (!drawn.includes(kind)) sum += n;
  return sum;
}

/** One bucket of the activity chart; values are per minute, null at a gap in the archive. */
export interface ActivityRow {
  atMs: number;
  /** Per drawn series, in drawnKinds order: events per minute, or per minute per 100 viewers. */
  values: (number | null)[];
}

/**
 * The chart's rows: per bucket, each drawn series' events per minute (the bucket's events over
 * its minutes), or per 100 viewers (events per minute ÷ average viewers × 100; nothing where the
 * room had no viewers). A bucket missing between two archived ones is a gap, as on the timeline.
 */
export function activityRows(
  points: readonly ActivityPoint[],
  range: Range,
  drawn: readonly string[],
  per100Viewers: boolean,
): ActivityRow[] {
  const step = stepMs[range.step];
  const minutes = step / 60_000;
  const rows: ActivityRow[] = [];
  let previous: number | null = null;
  for (const p of points) {
    const atMs = Date.parse(p.at);
    if (previous !== null && atMs - previous > step) {
      rows.push({ atMs: previous + step, values: drawn.map(() => null) });
    }
    previous = atMs;
    rows.push({
      atMs,
      values: drawn.map((series) => {
        const perMinute = eventsOf(p, series, drawn) / minutes;
        if (!per100Viewers) return perMinute;
        return p.viewers_avg > 0 ? (perMinute / p.viewers_avg) * 100 : null;
      }),
    });
  }
  return rows;
}

export function alignedActivity(rows: readonly ActivityRow[], series: number): UPlot.AlignedData {
  return [
    rows.map((r) => r.atMs / 1000),
    ...Array.from({ length: series }, (_, i) => rows.map((r) => r.values[i] ?? null)),
  ];
}

/** Per-minute series over the range, one value per minute; null where nothing was archived. */
export interface MinuteSeries {
  viewers: (number | null)[];
  joins: (number | null)[];
  activity: (number | null)[];
}

/**
 * The range's minutes as the correlation reads them, from points at a step of one minute: the
 * average viewers, the joins and the events (of one kind, or of every kind with allKinds) of each
 * archived minute; a minute with a snapshot and no events counts 0 events.
 */
export function minuteSeries(
  points: readonly ActivityPoint[],
  range: Range,
  kind: string,
): MinuteSeries {
  const firstMs = Math.floor(range.fromMs / 60_000) * 60_000;
  const length = Math.max(0, Math.ceil((range.toMs - firstMs) / 60_000));
  const series: MinuteSeries = {
    viewers: new Array(length).fill(null),
    joins: new Array(length).fill(null),
    activity: new Array(length).fill(null),
  };
  for (const p of points) {
    const i = (Date.parse(p.at) - firstMs) / 60_000;
    if (!Number.isInteger(i) || i < 0 || i >= length) continue;
    const activity = p.activity ?? {};
    series.viewers[i] = p.viewers_avg;
    series.joins[i] = p.joins;
    series.activity[i] =
      kind === allKinds
        ? Object.values(activity).reduce((a, b) => a + b, 0)
        : (activity[kind] ?? 0);
  }
  return series;
}

/** A handful of colours, told apart by more than hue; "other" is grey. */
export const kindColors = ['#1f6feb', '#bc4c00', '#8250df', '#1a7f37', '#cf222e', '#9a6700'];
export const otherColor = '#6e7781';

export function activityOptions(
  range: () => Range,
  drawn: readonly string[],
  per100Viewers: boolean,
  size: { width: number; height: number },
  syncKey: string,
): UPlot.Options {
  const unit = per100Viewers ? 'per min per 100 viewers' : 'events per min';
  return {
    ...size,
    // The same cursor as the viewers chart above, at the same instant.
    cursor: { sync: { key: syncKey } },
    scales: {
      // The viewers chart's axis: the picked range, whatever the data covers.
      x: { time: true, range: () => [range().fromMs / 1000, range().toMs / 1000] },
      y: { range: (_u, _min, max) => [0, Math.max(1, (max ?? 0) * 1.1)] },
    },
    series: [
      { label: 'Time' },
      ...drawn.map((kind, i) => {
        const stroke = kind === otherKinds ? otherColor : kindColors[i % kindColors.length]!;
        return {
          label: kind === otherKinds ? 'other kinds' : kind,
          stroke,
          width: kind === otherKinds ? 1 : 2,
          dash: i % 2 === 1 ? [6, 3] : undefined,
          spanGaps: false,
          points: { show: false },
          value: (_u: UPlot, v: number | null) =>
            v === null || v === undefined ? '–' : decimal(v),
        };
      }),
    ],
    // The same axis width as the viewers chart, so that a minute sits at the same x in both.
    axes: [{}, { label: unit, size: 50 }],
    legend: { live: true },
    hooks: {
      setScale: [
        (u, key) => {
          if (key !== 'x') return;
          u.root.dataset.xFrom = String(u.scales.x!.min);
          u.root.dataset.xTo = String(u.scales.x!.max);
        },
      ],
    },
  };
}
