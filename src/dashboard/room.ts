// One room: its live count joined to its archived history on one time axis over the picked
// range, its busiest client address, who is here, and the questions operations ask of the
// archive, each with its CSV.
import type UPlot from 'uplot';
import type {
  BusiestAddress,
  EntriesAnswer,
  HistoryAnswer,
  Period,
  PeriodsAnswer,
  RoomCount,
  RoomsAnswer,
} from './answers.js';
import { api, Unauthorized } from './api.js';
import { busiestInWords, clockTime, decimal, localTime, percent, timeZone } from './format.js';
import {
  concentratedMarker,
  findElements,
  type MountedView,
  pollUntil,
  type Shell,
} from './page.js';
import {
  type ComparedPeriod,
  compareData,
  compareModel,
  entriesModel,
  heatMap,
  periodsModel,
} from './questions.js';
import {
  current,
  customRange,
  lastRange,
  localInputValue,
  query,
  type Range,
  type RangeName,
  type Step,
  savedRange,
  saveRange,
  stepFor,
} from './ranges.js';
import { type ActivityPanel, mountActivity } from './room-activity.js';
import { download, modelCsv, renderTable, type TableModel, toCsv } from './tables.js';
import {
  alignedData,
  csvHeader,
  csvRows,
  type LivePeak,
  type LiveSample,
  type TimelinePoint,
  type TimelineRow,
  timelineOptions,
  timelineRows,
} from './timeline.js';
import { watchViewers } from './viewers.js';

const countEveryMs = 2_000;
/** The busiest address is read at the rooms list's pace. */
const busiestEveryMs = 5_000;
const historyEveryMs = 60_000;
/** Live samples kept per room: an hour at the polling resolution. */
const maxLiveSamples = 1_800;

/** The elements the room view uses. */
function roomElements() {
  const view = document.getElementById('room-view')!;
  return {
    ...findElements({
      name: ['room-name', HTMLElement],
      liveSessions: ['live-sessions', HTMLElement],
      liveViewers: ['live-viewers', HTMLElement],
      liveVisible: ['live-visible', HTMLElement],
      livePeak: ['live-peak', HTMLElement],
      livePeakAt: ['live-peak-at', HTMLElement],
      busiestCard: ['busiest-card', HTMLElement],
      busiestShare: ['busiest-share', HTMLElement],
      busiestSessions: ['busiest-sessions', HTMLElement],
      chart: ['chart', HTMLElement],
      chartNote: ['chart-note', HTMLElement],
      customRange: ['custom-range', HTMLFormElement],
      customFrom: ['custom-from', HTMLInputElement],
      customTo: ['custom-to', HTMLInputElement],
      customError: ['custom-error', HTMLElement],
      entries: ['entries', HTMLTableElement],
      entriesNote: ['entries-note', HTMLElement],
      periods: ['periods', HTMLTableElement],
      periodsNote: ['periods-note', HTMLElement],
      compare: ['compare', HTMLElement],
      compareChart: ['compare-chart', HTMLElement],
      heatmap: ['heatmap', HTMLTableElement],
      heatmapNote: ['heatmap-note', HTMLElement],
    }),
    rangeButtons: [...view.querySelectorAll<HTMLButtonElement>('.ranges button')],
    csvButtons: [...view.querySelectorAll<HTMLButtonElement>('button.csv')],
  };
}

type CsvName = 'timeline' | 'entries' | 'periods' | 'compare' | 'heatmap';

/** One room while it is shown: created when the view mounts, dropped when it is left. */
interface RoomView {
  el: ReturnType<typeof roomElements>;
  shell: Shell;
  /** Aborted when the view is left. */
  signal: AbortSignal;
  room: string;
  path: string;
  range: Range;
  /** The reads of the range shown; a newly picked range aborts them and starts its own. */
  rangeReads: AbortController;
  /** The archive over the range; null while it is being read for a newly picked range. */
  history: TimelinePoint[] | null;
  live: LiveSample[];
  livePeak: LivePeak | null;
  rows: TimelineRow[];
  chart: UPlot | null;
  /** Activity beneath the viewers chart, on its axis. */
  activity: ActivityPanel;
  compareChart: UPlot | null;
  models: Partial<Record<Exclude<CsvName, 'timeline'>, TableModel>>;
  periods: Period[];
  compared: Set<string>;
}

const chartHeight = () => (window.innerWidth < 640 ? 220 : 320);
const chartWidth = (container: HTMLElement) => Math.max(container.clientWidth - 16, 200);
const activityHeight = () => (window.innerWidth < 640 ? 160 : 200);

/** Shows a room and polls it until the returned view is unmounted. */
export function mountRoom(shell: Shell, room: string): MountedView {
  const left = new AbortController();
  const el = roomElements();
  const syncKey = `room-${room}`;
  const v: RoomView = {
    el,
    shell,
    signal: left.signal,
    room,
    path: `/v1/rooms/${encodeURIComponent(room)}`,
    range: savedRange(),
    rangeReads: new AbortController(),
    history: null,
    live: [],
    livePeak: null,
    rows: [],
    chart: null,
    activity: mountActivity(
      left.signal,
      () => v.range,
      () => ({ width: chartWidth(el.chart), height: activityHeight() }),
      syncKey,
    ),
    compareChart: null,
    models: {},
    periods: [],
    compared: new Set(),
  };
  document.title = `${room} · Headcount`;
  el.name.textContent = room;
  for (const card of [
    el.liveSessions,
    el.liveViewers,
    el.liveVisible,
    el.livePeak,
    el.busiestShare,
  ]) {
    card.textContent = '–';
  }
  el.livePeakAt.textContent = '';
  el.busiestSessions.textContent = '';
  el.busiestCard.title = '';
  el.chart.replaceChildren();
  el.compareChart.replaceChildren();
  el.compare.hidden = true;
  const resized = wireRoom(v);
  pollUntil(v.signal, shell, countEveryMs, () => readCount(v));
  pollUntil(v.signal, shell, busiestEveryMs, () => readBusiest(v));
  // Who is here moves with the count, so it is read at the count's pace.
  watchViewers(shell, v.signal, v.path, countEveryMs);
  showRange(v);
  return {
    unmount: () => {
      left.abort();
      resized.disconnect();
      v.chart?.destroy();
      v.activity.destroy();
      v.compareChart?.destroy();
    },
  };
}

async function readCount(v: RoomView): Promise<void> {
  const count = await api<RoomCount>(`${v.path}/count`);
  if (v.signal.aborted) return;
  const { el } = v;
  el.liveSessions.textContent = String(count.sessions);
  el.liveViewers.textContent = String(count.viewers);
  el.liveVisible.textContent = String(count.visible);
  el.livePeak.textContent = String(count.peak.sessions);
  el.livePeakAt.textContent = count.peak.at
    ? `at ${clockTime(Date.parse(count.peak.at))}`
    : 'not live';
  const atMs = Date.parse(count.at);
  const last = v.live.at(-1);
  if (!last || last.atMs < atMs) {
    v.live.push({ atMs, sessions: count.sessions, viewers: count.viewers, visible: count.visible });
    if (v.live.length > maxLiveSamples) v.live.shift();
  }
  v.livePeak = count.peak.at
    ? { sessions: count.peak.sessions, atMs: Date.parse(count.peak.at) }
    : null;
  v.range = current(v.range);
  drawTimeline(v);
  v.shell.status(`live · updated ${clockTime(atMs)}`);
}

/** The room's own row of the rooms list, for its busiest client address. */
async function readBusiest(v: RoomView): Promise<void> {
  const search = `prefix=${encodeURIComponent(v.room)}&sort=room&limit=1`;
  const { rooms } = await api<RoomsAnswer>(`/v1/rooms?${search}`);
  if (v.signal.aborted) return;
  // By id, a room comes before every other id that starts with it; absent, it is not live.
  const listed = rooms[0]?.room === v.room ? rooms[0] : undefined;
  showBusiest(v, listed?.busiest_address);
}

function showBusiest(v: RoomView, busiest: BusiestAddress | undefined): void {
  const { el } = v;
  if (!busiest || busiest.sessions === 0) {
    el.busiestShare.textContent = '–';
    el.busiestSessions.textContent = busiest ? '' : 'not live';
    el.busiestCard.title = busiest ? busiestInWords(busiest) : '';
    return;
  }
  el.busiestShare.textContent = percent(busiest.share);
  el.busiestSessions.textContent = `${busiest.sessions} session${busiest.sessions === 1 ? '' : 's'}`;
  if (busiest.concentrated) el.busiestSessions.append(' ', concentratedMarker());
  el.busiestCard.title = busiestInWords(busiest);
}

function pressRangeButton(v: RoomView, name: RangeName): void {
  for (const button of v.el.rangeButtons) {
    button.setAttribute('aria-pressed', String(button.dataset.range === name));
  }
  v.el.customRange.hidden = name !== 'custom';
}

/** Loads every archive view for the view's range; the timeline's history again every minute. */
function showRange(v: RoomView): void {
  pressRangeButton(v, v.range.name);
  v.rangeReads.abort();
  v.rangeReads = new AbortController();
  const signal = AbortSignal.any([v.signal, v.rangeReads.signal]);
  pollUntil(signal, v.shell, historyEveryMs, async () => {
    v.range = current(v.range);
    const range = v.range;
    const history = await api<HistoryAnswer>(
      `${v.path}/history?step=${range.step}&include=activity&${query(range)}`,
    );
    if (signal.aborted) return;
    v.history = history.points;
    drawTimeline(v, true);
    v.activity.show(history.points);
  });
  void loadQuestions(v, signal).catch((err: Error) => {
    if (err instanceof Unauthorized) v.shell.askToken();
    else v.shell.status(`Could not load the archive: ${err.message}`);
  });
}

function drawTimeline(v: RoomView, recreate = false): void {
  v.rows = timelineRows(v.history ?? [], v.range, v.live, v.livePeak);
  const data = alignedData(v.rows);
  const container = v.el.chart;
  const archived = v.history?.length ?? 0;
  const what =
    v.history === null
      ? 'Reading the archive…'
      : archived === 0
        ? 'Nothing archived in this range'
        : `${archived} archived point${archived === 1 ? '' : 's'}, one per ${v.range.step}`;
  v.el.chartNote.textContent =
    what +
    ` · ${localTime(v.range.fromMs)} to ${localTime(v.range.toMs)}, ${timeZone} (hover for UTC)` +
    (v.live.length > 0
      ? ` · live every ${countEveryMs / 1000} s since ${clockTime(v.live[0]!.atMs)}`
      : '');
  if (!v.chart || recreate) {
    v.chart?.destroy();
    v.chart = new window.uPlot(
      timelineOptions(
        () => v.range,
        data,
        { width: chartWidth(container), height: chartHeight() },
        `room-${v.room}`,
      ),
      data,
      container,
    );
  } else {
    v.chart.setData(data);
    v.activity.follow();
  }
}

async function loadQuestions(v: RoomView, signal: AbortSignal): Promise<void> {
  const range = v.range;
  const [entries, periods, hourly] = await Promise.all([
    api<EntriesAnswer>(`${v.path}/entries?${query(range)}`),
    api<PeriodsAnswer>(`${v.path}/periods?${query(range)}`),
    api<HistoryAnswer>(`${v.path}/history?step=1h&${query(range)}`),
  ]);
  if (signal.aborted) return;
  const { el } = v;

  v.models.entries = entriesModel(entries.entries);
  renderTable(el.entries, v.models.entries);
  el.entriesNote.textContent =
    entries.entries.length === 0
      ? 'No joins with an entry in this range.'
      : 'Sessions that joined in this range, by where they came from (the entry pages send).';

  v.periods = periods.periods;
  v.models.periods = periodsModel(periods.periods);
  renderPeriods(v);
  el.periodsNote.textContent =
    periods.periods.length === 0
      ? 'No live period in this range.'
      : 'Newest first; unique viewers are estimated (about 1 % error). Tick two to compare them.';

  const heat = heatMap(hourly.points, range);
  v.models.heatmap = heat.model;
  renderTable(el.heatmap, heat.model);
  for (const td of el.heatmap.querySelectorAll<HTMLTableCellElement>('tbody td')) {
    const value = Number(td.textContent);
    if (td.cellIndex === 0 || td.textContent === '' || heat.max === 0) continue;
    const strength = value / heat.max;
    // Light enough at the top of the scale for the number to stay readable on it.
    td.style.background = `rgba(31, 111, 235, ${(0.04 + 0.46 * strength).toFixed(2)})`;
  }
  el.heatmapNote.textContent = `Average sessions by day and hour (${timeZone}) over this range, from the room's first archived hour; an hour with nothing archived counts as 0.`;
}

function renderPeriods(v: RoomView): void {
  const table = v.el.periods;
  const model = v.models.periods!;
  renderTable(table, model);
  const newestFirst = [...v.periods].reverse();
  const head = table.tHead!.rows[0]!;
  const th = document.createElement('th');
  th.scope = 'col';
  th.textContent = 'Compare';
  head.append(th);
  [...table.tBodies[0]!.rows].forEach((tr, i) => {
    const period = newestFirst[i]!;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = v.compared.has(period.started_at);
    box.setAttribute(
      'aria-label',
      `Compare the period that started ${localTime(Date.parse(period.started_at))}`,
    );
    box.addEventListener('change', () => {
      if (box.checked) v.compared.add(period.started_at);
      else v.compared.delete(period.started_at);
      // Two at a time: ticking a third unticks the oldest choice.
      while (v.compared.size > 2) v.compared.delete(v.compared.values().next().value!);
      renderPeriods(v);
      void drawCompare(v);
    });
    tr.insertCell().append(box);
  });
}

async function drawCompare(v: RoomView): Promise<void> {
  const chosen = v.periods.filter((p) => v.compared.has(p.started_at));
  v.el.compare.hidden = chosen.length !== 2;
  v.compareChart?.destroy();
  v.compareChart = null;
  if (chosen.length !== 2) return;
  const spans = chosen.map((p) => ({
    startMs: Date.parse(p.started_at),
    endMs: p.ended_at ? Date.parse(p.ended_at) : Date.now(),
  }));
  const step: Step = stepFor(Math.max(...spans.map((s) => s.endMs - s.startMs)));
  const compared: ComparedPeriod[] = await Promise.all(
    spans.map(async (span) => {
      const history = await api<HistoryAnswer>(
        `${v.path}/history?step=${step}&${query(customRange(span.startMs, span.endMs + 60_000))}`,
      );
      return {
        label: `From ${localTime(span.startMs)}`,
        startMs: span.startMs,
        points: history.points,
      };
    }),
  );
  if (v.signal.aborted || chosen.some((p) => !v.compared.has(p.started_at))) return;
  const model = compareModel(compared);
  v.models.compare = model;
  const container = v.el.compareChart;
  container.replaceChildren();
  const colors = ['#1f6feb', '#bc4c00'];
  v.compareChart = new window.uPlot(
    {
      width: chartWidth(container),
      height: chartHeight(),
      scales: {
        x: { time: false },
        y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil((max ?? 0) * 1.1))] },
      },
      series: [
        { label: 'Minutes since start' },
        ...compared.map((c, i) => ({
          label: c.label,
          stroke: colors[i]!,
          width: 2,
          spanGaps: false,
          points: { show: model.rows.length <= 90 },
          value: (_u: UPlot, val: number | null) => (val === null ? '–' : decimal(val)),
        })),
      ],
      axes: [{ label: 'minutes since the period started' }, { label: 'sessions (avg)', size: 50 }],
    },
    compareData(model),
    container,
  );
}

function setRange(v: RoomView, range: Range): void {
  saveRange(range);
  v.range = range;
  v.history = null;
  v.activity.show(null);
  v.compared.clear();
  v.compareChart?.destroy();
  v.compareChart = null;
  v.el.compare.hidden = true;
  showRange(v);
}

/** The view's listeners, removed when it is left; returns the chart's resize observer. */
function wireRoom(v: RoomView): ResizeObserver {
  const { el, signal } = v;
  for (const button of el.rangeButtons) {
    button.addEventListener(
      'click',
      () => {
        const name = button.dataset.range as RangeName;
        if (name !== 'custom') return setRange(v, lastRange(name));
        el.customFrom.value = localInputValue(v.range.fromMs);
        el.customTo.value = localInputValue(v.range.toMs);
        pressRangeButton(v, 'custom');
        el.customFrom.focus();
      },
      { signal },
    );
  }
  el.customRange.addEventListener(
    'submit',
    (event) => {
      event.preventDefault();
      const fromMs = new Date(el.customFrom.value).getTime();
      const toMs = new Date(el.customTo.value).getTime();
      if (!(fromMs < toMs)) {
        el.customError.textContent = '“From” must be before “To”.';
        return;
      }
      el.customError.textContent = '';
      setRange(v, customRange(fromMs, toMs));
    },
    { signal },
  );
  for (const button of el.csvButtons) {
    button.addEventListener(
      'click',
      () => {
        const what = button.dataset.csv as CsvName;
        const name = `${v.room}-${what}.csv`;
        if (what === 'timeline') return download(name, toCsv(csvHeader, csvRows(v.rows)));
        const model = v.models[what];
        if (model) download(name, modelCsv(model));
      },
      { signal },
    );
  }
  const resized = new ResizeObserver(() => {
    if (v.chart && el.chart.clientWidth > 0) {
      v.chart.setSize({ width: chartWidth(el.chart), height: chartHeight() });
      v.activity.resize({ width: chartWidth(el.chart), height: activityHeight() });
    }
  });
  resized.observe(el.chart);
  return resized;
}
