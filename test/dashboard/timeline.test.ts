// The dashboard's arithmetic, without a browser: which step a range gets, where the timeline has
// gaps and points, and how the heat map averages. The browser suite checks what is drawn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heatMap, periodsModel } from '../../src/dashboard/questions.js';
import { customRange, lastRange, stepFor } from '../../src/dashboard/ranges.js';
import { modelCsv } from '../../src/dashboard/tables.js';
import { type TimelinePoint, timelineRows } from '../../src/dashboard/timeline.js';

// The heat map files hours in the viewer's zone: here, UTC (Node follows TZ when it changes).
const zone = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'UTC';
});
afterAll(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

const minuteMs = 60_000;
const t0 = Date.parse('2026-11-23T10:00:00Z'); // a Monday

const point = (ms: number, sessions: number, peakAtMs: number | null = ms): TimelinePoint => ({
  at: new Date(ms).toISOString(),
  sessions_avg: sessions,
  viewers_avg: sessions,
  peak_sessions: peakAtMs === null ? 0 : sessions + 1,
  peak_sessions_at: peakAtMs === null ? null : new Date(peakAtMs).toISOString(),
});

describe('ranges', () => {
  it('gives each range the finest step that keeps it at 1 500 buckets or fewer', () => {
    expect(lastRange('hour').step).toBe('1m');
    expect(lastRange('day').step).toBe('1m');
    expect(lastRange('week').step).toBe('1h');
    expect(lastRange('month').step).toBe('1h');
    expect(stepFor(1_500 * minuteMs)).toBe('1m');
    expect(stepFor(1_501 * minuteMs)).toBe('5m');
    expect(stepFor(60 * 86_400_000)).toBe('1h');
    expect(stepFor(90 * 86_400_000)).toBe('1d');
    expect(stepFor(400 * 86_400_000)).toBe('1d');
  });

  it('moves a last-hour range with the clock and keeps a custom one where it is', () => {
    const range = lastRange('hour', t0);
    expect([range.fromMs, range.toMs]).toEqual([t0 - 3_600_000, t0]);
    expect(customRange(t0, t0 + minuteMs).live).toBe(false);
  });
});

describe('the timeline', () => {
  const range = customRange(t0, t0 + 10 * minuteMs);

  it('leaves a gap after a bucket with no successor, and none between neighbours', () => {
    const rows = timelineRows(
      [point(t0, 1, null), point(t0 + minuteMs, 2, null), point(t0 + 4 * minuteMs, 3, null)],
      range,
      [],
      null,
    );
    expect(rows.map((r) => [(r.atMs - t0) / minuteMs, r.sessions])).toEqual([
      [0, 1],
      [1, 2],
      [2, null],
      [4, 3],
    ]);
  });

  it('puts each peak at the time it was reached, and the live samples after the archive', () => {
    const rows = timelineRows(
      [point(t0, 4, t0 + 25_000)],
      range,
      [
        { atMs: t0 + 2 * minuteMs, sessions: 6, viewers: 5, visible: 4 },
        { atMs: t0 + 11 * minuteMs, sessions: 9, viewers: 9, visible: 9 },
      ],
      { sessions: 7, atMs: t0 + 90_000 },
    );
    expect(rows.map((r) => ({ ...r, atMs: r.atMs - t0 }))).toEqual([
      { atMs: 0, sessions: 4, viewers: 4 },
      { atMs: 25_000, peakSessions: 5 },
      { atMs: 90_000, livePeak: 7 },
      { atMs: 120_000, liveSessions: 6, liveViewers: 5, liveVisible: 4 },
    ]);
  });
});

describe('the heat map', () => {
  it('averages each hour from the first archived one, an hour with nothing counting as 0', () => {
    // Two Mondays 10:00-12:00 (UTC here): 10:00 has 4 then nothing, 11:00 has 2 both weeks.
    const week = 7 * 86_400_000;
    const range = customRange(t0 - 3 * 3_600_000, t0 + week + 2 * 3_600_000);
    const map = heatMap(
      [point(t0, 4), point(t0 + 3_600_000, 2), point(t0 + week + 3_600_000, 2)],
      range,
    );
    const monday = map.model.rows[0]!;
    expect(monday[0]!.text).toBe('Mon');
    expect(monday[1 + 10]!.raw).toBe(2); // (4 + 0) / 2
    expect(monday[1 + 11]!.raw).toBe(2); // (2 + 2) / 2
    expect(monday[1 + 12]!.raw).toBe(0);
    // Week one's 08:00 came before the first archived hour and does not count; week two's does.
    expect(monday[1 + 8]!.raw).toBe(0);
    expect(map.max).toBe(2);
    expect(modelCsv(map.model).split('\r\n')[0]).toBe(
      `day,${Array.from({ length: 24 }, (_, h) => `h${String(h).padStart(2, '0')}`).join(',')}`,
    );
  });
});

describe('the heat map of a large room', () => {
  it('shows averages from 100 up as whole numbers, in the table and its CSV alike', () => {
    const map = heatMap(
      [point(t0, 1234.56), point(t0 + 3_600_000, 99.94)],
      customRange(t0, t0 + 2 * 3_600_000),
    );
    const monday = map.model.rows[0]!;
    expect(monday.slice(1 + 10, 1 + 12)).toEqual([
      { text: '1235', raw: 1235 },
      { text: '99.9', raw: 99.9 },
    ]);
    expect(map.max).toBe(1235);
  });
});

describe('the heat map over a few hours', () => {
  it('leaves blank the hours before the first archived one and those outside the range', () => {
    const map = heatMap(
      [point(t0, 4), point(t0 + 3_600_000, 2)],
      customRange(t0 - 3 * 3_600_000, t0 + 3 * 3_600_000),
    );
    const monday = map.model.rows[0]!.map((c) => c.raw);
    expect(monday.slice(1 + 7, 1 + 14)).toEqual([null, null, null, 4, 2, 0, null]);
    expect(map.model.rows[1]!.slice(1).every((c) => c.raw === null)).toBe(true);
  });
});

describe('the live periods table', () => {
  it('shows durations in words and keeps seconds and UTC times for the CSV', () => {
    const model = periodsModel([
      {
        started_at: '2026-11-23T10:00:00.000Z',
        duration_s: 5_400,
        peak_sessions: 12,
        peak_sessions_at: '2026-11-23T10:40:00.000Z',
        joins: 30,
        unique_viewers_estimate: 20,
      },
    ]);
    expect(model.rows[0]![1]).toEqual({ text: '1 h 30 min', raw: 5_400 });
    expect(modelCsv(model)).toBe(
      'started_at,duration_s,peak_sessions,peak_sessions_at,joins,unique_viewers_estimate\r\n' +
        '2026-11-23T10:00:00.000Z,5400,12,2026-11-23T10:40:00.000Z,30,20\r\n',
    );
  });
});
