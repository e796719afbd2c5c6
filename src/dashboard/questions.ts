// The questions operations ask of the archive, each as a table model (shown and downloadable as
// CSV): joins by entry, live periods, two periods compared by time since start, and the audience
// by day of week and hour of day.
import type UPlot from 'uplot';
import type { EntryJoins, HistoryPoint, Period } from './answers.js';
import { decimal, duration, localTime, utcTime } from './format.js';
import type { Range } from './ranges.js';
import type { Cell, TableModel } from './tables.js';

/** What the periods table shows of a live period. */
export type PeriodRow = Pick<
  Period,
  | 'started_at'
  | 'duration_s'
  | 'peak_sessions'
  | 'peak_sessions_at'
  | 'joins'
  | 'unique_viewers_estimate'
>;
/** What the comparison and the heat map read of an hourly bucket. */
export type AveragePoint = Pick<HistoryPoint, 'at' | 'sessions_avg'>;

const num = (n: number): Cell => ({ text: n.toLocaleString('en-US'), raw: n });
const time = (iso: string): Cell => {
  const ms = Date.parse(iso);
  return { text: localTime(ms), raw: new Date(ms).toISOString(), title: utcTime(ms) };
};

export function entriesModel(entries: readonly EntryJoins[]): TableModel {
  const total = entries.reduce((n, e) => n + e.joins, 0);
  return {
    columns: [
      { label: 'Entry', csv: 'entry' },
      { label: 'Joins', csv: 'joins', numeric: true },
      { label: 'Share', csv: 'share_percent', numeric: true },
    ],
    rows: entries.map((e) => {
      const share = total > 0 ? Math.round((e.joins / total) * 1000) / 10 : 0;
      return [{ text: e.entry, raw: e.entry }, num(e.joins), { text: `${share} %`, raw: share }];
    }),
  };
}

/** The live periods, newest first, with the time each was live (an open one: so far). */
export function periodsModel(periods: readonly PeriodRow[], nowMs = Date.now()): TableModel {
  return {
    columns: [
      { label: 'Start', csv: 'started_at' },
      { label: 'Duration', csv: 'duration_s', numeric: true },
      { label: 'Peak', csv: 'peak_sessions', numeric: true },
      { label: 'Peak at', csv: 'peak_sessions_at' },
      { label: 'Joins', csv: 'joins', numeric: true },
      { label: 'Unique viewers', csv: 'unique_viewers_estimate', numeric: true },
    ],
    rows: [...periods].reverse().map((p) => {
      const seconds =
        p.duration_s ?? Math.max(0, Math.round((nowMs - Date.parse(p.started_at)) / 1000));
      return [
        time(p.started_at),
        {
          text: p.duration_s === null ? `${duration(seconds)}, still live` : duration(seconds),
          raw: p.duration_s,
        },
        num(p.peak_sessions),
        time(p.peak_sessions_at),
        num(p.joins),
        num(p.unique_viewers_estimate),
      ];
    }),
  };
}

export interface ComparedPeriod {
  label: string;
  startMs: number;
  points: readonly AveragePoint[];
}

/** Two (or more) periods on one axis: minutes since each one's start, sessions (avg) by bucket. */
export function compareModel(periods: readonly ComparedPeriod[]): TableModel {
  const minutes = new Map<number, (number | undefined)[]>();
  periods.forEach((period, i) => {
    for (const p of period.points) {
      const m = Math.round((Date.parse(p.at) - period.startMs) / 60_000);
      if (m < 0) continue;
      const row = minutes.get(m) ?? new Array<number | undefined>(periods.length).fill(undefined);
      row[i] = p.sessions_avg;
      minutes.set(m, row);
    }
  });
  return {
    columns: [
      { label: 'Minutes since start', csv: 'minutes_since_start', numeric: true },
      ...periods.map((p, i) => ({
        label: p.label,
        csv: `period_${String.fromCharCode(97 + i)}_sessions_avg`,
        numeric: true,
      })),
    ],
    rows: [...minutes.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([m, values]) => [
        { text: String(m), raw: m },
        ...values.map((v) =>
          v === undefined ? { text: '', raw: null } : { text: decimal(v), raw: Number(decimal(v)) },
        ),
      ]),
  };
}

export function compareData(model: TableModel): UPlot.AlignedData {
  return [
    model.rows.map((r) => r[0]!.raw as number),
    ...model.columns.slice(1).map((_, i) => model.rows.map((r) => r[i + 1]!.raw as number | null)),
  ];
}

const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
/** Monday first, as most of the world's calendars. */
const dayIndex = (d: Date) => (d.getDay() + 6) % 7;

/** A cell's average: one decimal under 100, whole from 100, so a week's row fits a laptop. */
const cellAverage = (n: number) => (n >= 100 ? Math.round(n) : Number(decimal(n)));

export interface HeatMap {
  model: TableModel;
  /** Highest cell, for the colour scale. */
  max: number;
}

/**
 * Average sessions by day of week and hour of day, in the viewer's time zone, over the range from
 * the room's first archived hour: each such hour counts once in its cell, an hour with nothing
 * archived as 0 (nobody was there).
 */
export function heatMap(hourly: readonly AveragePoint[], range: Range): HeatMap {
  const sums = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  const hours = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  // Hours before the room's first archived one in the range are not held against it: the room
  // may not have existed yet.
  const firstArchivedMs = hourly.length > 0 ? Date.parse(hourly[0]!.at) : range.fromMs;
  const firstHour = Math.floor(Math.max(range.fromMs, firstArchivedMs) / 3_600_000) * 3_600_000;
  for (let ms = firstHour; ms < range.toMs; ms += 3_600_000) {
    const d = new Date(ms);
    hours[dayIndex(d)]![d.getHours()]!++;
  }
  for (const p of hourly) {
    const d = new Date(p.at);
    sums[dayIndex(d)]![d.getHours()]! += p.sessions_avg;
  }
  let max = 0;
  const rows = days.map((day, i) => [
    { text: day, raw: day } as Cell,
    ...sums[i]!.map((sum, h) => {
      const n = hours[i]![h]!;
      if (n === 0) return { text: '', raw: null } as Cell;
      const avg = cellAverage(sum / n);
      max = Math.max(max, avg);
      return { text: String(avg), raw: avg } as Cell;
    }),
  ]);
  return {
    max,
    model: {
      columns: [
        { label: 'Day', csv: 'day' },
        ...Array.from({ length: 24 }, (_, h) => ({
          label: String(h).padStart(2, '0'),
          csv: `h${String(h).padStart(2, '0')}`,
          numeric: true,
        })),
      ],
      rows,
    },
  };
}
