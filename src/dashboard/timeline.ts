// The room's timeline: archived buckets (gaps where nothing was archived), the exact peaks of the
// archive as points at the time they were reached, and the live count as it moves, joined on one
// time axis that is the picked range.
import type UPlot from 'uplot';
import type { HistoryPoint } from './answers.js';
import { decimal, utcTime } from './format.js';
import { type Range, stepMs } from './ranges.js';

/** What the timeline draws of an archived bucket. */
export type TimelinePoint = Pick<
  HistoryPoint,
  'at' | 'sessions_avg' | 'viewers_avg' | 'peak_sessions' | 'peak_sessions_at'
>;

export interface LiveSample {
  atMs: number;
  sessions: number;
  viewers: number;
  visible: number;
}

export interface LivePeak {
  sessions: number;
  atMs: number;
}

/** One instant of the timeline; undefined = nothing at this instant, null = a gap. */
export interface TimelineRow {
  atMs: number;
  sessions?: number | null;
  viewers?: number | null;
  peakSessions?: number;
  liveSessions?: number;
  liveViewers?: number;
  liveVisible?: number;
  livePeak?: number;
}

/** The rows of the timeline, in time order, within the range. */
export function timelineRows(
  history: readonly TimelinePoint[],
  range: Range,
  live: readonly LiveSample[],
  livePeak: LivePeak | null,
): TimelineRow[] {
  const rows = new Map<number, TimelineRow>();
  const at = (ms: number) => {
    let row = rows.get(ms);
    if (!row) {
      row = { atMs: ms };
      rows.set(ms, row);
    }
    return row;
  };
  const inRange = (ms: number) => ms >= range.fromMs && ms <= range.toMs;
  const step = stepMs[range.step];
  let previous: number | null = null;
  for (const p of history) {
    const ms = Date.parse(p.at);
    // A bucket missing between two archived ones: nothing was archived then, drawn as a gap.
    if (previous !== null && ms - previous > step) Object.assign(at(previous + step), gap);
    previous = ms;
    Object.assign(at(ms), { sessions: p.sessions_avg, viewers: p.viewers_avg });
    if (p.peak_sessions_at !== null && p.peak_sessions > 0) {
      const peakMs = Date.parse(p.peak_sessions_at);
      if (inRange(peakMs)) at(peakMs).peakSessions = p.peak_sessions;
    }
  }
  for (const s of live) {
    if (!inRange(s.atMs)) continue;
    Object.assign(at(s.atMs), {
      liveSessions: s.sessions,
      liveViewers: s.viewers,
      liveVisible: s.visible,
    });
  }
  if (livePeak && inRange(livePeak.atMs)) at(livePeak.atMs).livePeak = livePeak.sessions;
  return [...rows.values()].sort((a, b) => a.atMs - b.atMs);
}

const gap = { sessions: null, viewers: null } as const;

const columns = [
  'sessions',
  'viewers',
  'peakSessions',
  'liveSessions',
  'liveViewers',
  'liveVisible',
  'livePeak',
] as const;

export function alignedData(rows: readonly TimelineRow[]): UPlot.AlignedData {
  return [rows.map((r) => r.atMs / 1000), ...columns.map((c) => rows.map((r) => r[c]))];
}

/** The timeline as CSV rows: what the chart draws, one row per instant. */
export const csvHeader = [
  'at_utc',
  'sessions_avg',
  'viewers_avg',
  'peak_sessions',
  'live_sessions',
  'live_viewers',
  'live_visible',
  'live_period_peak',
];

export function csvRows(rows: readonly TimelineRow[]): (string | number | null)[][] {
  return rows.map((r) => [
    new Date(r.atMs).toISOString(),
    ...columns.map((c) => {
      const v = r[c];
      return v === undefined || v === null
        ? null
        : c === 'sessions' || c === 'viewers'
          ? Number(decimal(v))
          : v;
    }),
  ]);
}

const colors = {
  sessions: '#1f6feb',
  viewers: '#1a7f37',
  peak: '#cf222e',
  visible: '#8250df',
  livePeak: '#bc4c00',
};

/** How many values a series has in the data (not undefined, not null). */
const valuesIn = (values: readonly (number | null | undefined)[]) =>
  values.reduce<number>((n, v) => (v === undefined || v === null ? n : n + 1), 0);

export function timelineOptions(
  range: () => Range,
  data: UPlot.AlignedData,
  size: { width: number; height: number },
  syncKey?: string,
): UPlot.Options {
  // A line through a handful of buckets is hard to see: show each as a dot as well.
  const dots = (i: number) => valuesIn(data[i] as (number | null | undefined)[]) <= 90;
  const line = (label: string, stroke: string, i: number, extra: Partial<UPlot.Series> = {}) => ({
    label,
    stroke,
    width: 2,
    spanGaps: false,
    points: { show: dots(i), size: 5, fill: stroke },
    value: (_u: UPlot, v: number | null) => (v === null || v === undefined ? '–' : decimal(v)),
    ...extra,
  });
  const pointsOnly = (label: string, stroke: string, size: number): UPlot.Series => ({
    label,
    stroke,
    fill: stroke,
    width: 0,
    paths: () => null,
    points: { show: true, size, fill: stroke, stroke },
    value: (_u, v) => (v === null || v === undefined ? '–' : String(v)),
  });
  return {
    ...size,
    // One cursor with the charts beneath it on the same axis (the room's activity).
    ...(syncKey ? { cursor: { sync: { key: syncKey } } } : {}),
    scales: {
      // The picked range is the axis, whatever the data covers.
      x: { time: true, range: () => [range().fromMs / 1000, range().toMs / 1000] },
      y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil((max ?? 0) * 1.1))] },
    },
    series: [
      {
        label: 'Time',
        // The viewer's zone on the axis; on hover, the same instant in UTC as well.
        value: (_u, v) =>
          v === null ? '–' : `${new Date(v * 1000).toLocaleString()} (${utcTime(v * 1000)})`,
      },
      line('Sessions (avg)', colors.sessions, 1, { fill: 'rgba(31,111,235,.07)' }),
      line('Viewers (avg)', colors.viewers, 2, { width: 1 }),
      // Every bucket's peak is a point; many of them are drawn small.
      pointsOnly('Peak sessions', colors.peak, dots(3) ? 7 : 3),
      line('Live sessions', colors.sessions, 4, { width: 3, dash: [6, 3] }),
      line('Live viewers', colors.viewers, 5, { width: 2, dash: [6, 3] }),
      line('Live visible', colors.visible, 6, { width: 1, dash: [2, 3] }),
      pointsOnly('Live period peak', colors.livePeak, 10),
    ],
    axes: [{}, { label: 'people', size: 50 }],
    legend: { live: true },
    hooks: {
      // What the chart shows, on its element: the axis it drew and its live samples, for tests
      // and for anyone reading the page's markup.
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
