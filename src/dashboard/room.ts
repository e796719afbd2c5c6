// One room: its live count joined to its archived history on one time axis over the picked
// range, and the questions operations ask of the archive, each with its CSV.
import type UPlot from 'uplot';
import { api, Unauthorized } from './api.js';
import { clockTime, decimal, localTime, timeZone } from './format.js';
import { askToken, byId, pollView, show, status } from './page.js';
import {
  type ComparedPeriod,
  compareData,
  compareModel,
  type EntryJoins,
  entriesModel,
  heatMap,
  type Period,
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
import type { RoomCount } from './rooms.js';
import { download, modelCsv, renderTable, type TableModel, toCsv } from './tables.js';
import {
  alignedData,
  csvHeader,
  csvRows,
  type HistoryPoint,
  type LivePeak,
  type LiveSample,
  type TimelineRow,
  timelineOptions,
  timelineRows,
} from './timeline.js';

const countEveryMs = 2_000;
const historyEveryMs = 60_000;
/** Live samples kept per room: an hour at the polling resolution. */
const maxLiveSamples = 1_800;

interface RoomView {
  room: string;
  path: string;
  range: Range;
  /** The archive over the range; null while it is being read for a newly picked range. */
  history: HistoryPoint[] | null;
  live: LiveSample[];
  livePeak: LivePeak | null;
  rows: TimelineRow[];
  chart: UPlot | null;
  compareChart: UPlot | null;
  models: Partial<Record<'entries' | 'periods' | 'compare' | 'heatmap', TableModel>>;
  periods: Period[];
  compared: Set<string>;
}

let view: RoomView | null = null;

const chartHeight = () => (window.innerWidth < 640 ? 220 : 320);
const chartWidth = (container: HTMLElement) => Math.max(container.clientWidth - 16, 200);

export function showRoom(room: string): void {
  show('room-view');
  document.title = `${room} · Headcount`;
  byId('room-name').textContent = room;
  for (const id of ['live-sessions', 'live-viewers', 'live-visible', 'live-peak']) {
    byId(id).textContent = '–';
  }
  byId('live-peak-at').textContent = '';
  view?.chart?.destroy();
  view?.compareChart?.destroy();
  byId('chart').replaceChildren();
  byId('compare-chart').replaceChildren();
  byId('compare').hidden = true;
  view = {
    room,
    path: `/v1/rooms/${encodeURIComponent(room)}`,
    range: savedRange(),
    history: null,
    live: [],
    livePeak: null,
    rows: [],
    chart: null,
    compareChart: null,
    models: {},
    periods: [],
    compared: new Set(),
  };
  const v = view;
  pollView(countEveryMs, async () => {
    const count = await api<RoomCount>(`${v.path}/count`);
    if (v !== view) return;
    byId('live-sessions').textContent = String(count.sessions);
    byId('live-viewers').textContent = String(count.viewers);
    byId('live-visible').textContent = String(count.visible);
    byId('live-peak').textContent = String(count.peak.sessions);
    byId('live-peak-at').textContent = count.peak.at
      ? `at ${clockTime(Date.parse(count.peak.at))}`
      : 'not live';
    const atMs = Date.parse(count.at);
    const last = v.live.at(-1);
    if (!last || last.atMs < atMs) {
      v.live.push({
        atMs,
        sessions: count.sessions,
        viewers: count.viewers,
        visible: count.visible,
      });
      if (v.live.length > maxLiveSamples) v.live.shift();
    }
    v.livePeak = count.peak.at
      ? { sessions: count.peak.sessions, atMs: Date.parse(count.peak.at) }
      : null;
    v.range = current(v.range);
    drawTimeline(v);
    status(`live · updated ${clockTime(atMs)}`);
  });
  showRange(v);
}

function pressRangeButton(name: RangeName): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('.ranges button')) {
    button.setAttribute('aria-pressed', String(button.dataset.range === name));
  }
  byId('custom-range').hidden = name !== 'custom';
}

/** Loads every archive view for the view's range; the timeline's history again every minute. */
function showRange(v: RoomView): void {
  pressRangeButton(v.range.name);
  const mine = ++rangeGeneration;
  const alive = () => mine === rangeGeneration && v === view;
  pollView(
    historyEveryMs,
    async () => {
      v.range = current(v.range);
      const range = v.range;
      const history = await api<{ points: HistoryPoint[] }>(
        `${v.path}/history?step=${range.step}&${query(range)}`,
      );
      if (!alive()) return;
      v.history = history.points;
      drawTimeline(v, true);
    },
    alive,
  );
  void loadQuestions(v, alive).catch((err: Error) => {
    if (err instanceof Unauthorized) askToken();
    else status(`Could not load the archive: ${err.message}`);
  });
}
let rangeGeneration = 0;

function drawTimeline(v: RoomView, recreate = false): void {
  v.rows = timelineRows(v.history ?? [], v.range, v.live, v.livePeak);
  const data = alignedData(v.rows);
  const container = byId('chart');
  const archived = v.history?.length ?? 0;
  const what =
    v.history === null
      ? 'Reading the archive…'
      : archived === 0
        ? 'Nothing archived in this range'
        : `${archived} archived point${archived === 1 ? '' : 's'}, one per ${v.range.step}`;
  byId('chart-note').textContent =
    what +
    ` · ${localTime(v.range.fromMs)} to ${localTime(v.range.toMs)}, ${timeZone} (hover for UTC)` +
    (v.live.length > 0
      ? ` · live every ${countEveryMs / 1000} s since ${clockTime(v.live[0]!.atMs)}`
      : '');
  if (!v.chart || recreate) {
    v.chart?.destroy();
    v.chart = new window.uPlot(
      timelineOptions(() => v.range, data, {
        width: chartWidth(container),
        height: chartHeight(),
      }),
      data,
      container,
    );
  } else {
    v.chart.setData(data);
  }
}

async function loadQuestions(v: RoomView, alive: () => boolean): Promise<void> {
  const range = v.range;
  const [entries, periods, hourly] = await Promise.all([
    api<{ entries: EntryJoins[] }>(`${v.path}/entries?${query(range)}`),
    api<{ periods: Period[] }>(`${v.path}/periods?${query(range)}`),
    api<{ points: HistoryPoint[] }>(`${v.path}/history?step=1h&${query(range)}`),
  ]);
  if (!alive()) return;

  v.models.entries = entriesModel(entries.entries);
  renderTable(byId('entries'), v.models.entries);
  byId('entries-note').textContent =
    entries.entries.length === 0
      ? 'No joins with an entry in this range.'
      : 'Sessions that joined in this range, by where they came from (the entry pages send).';

  v.periods = periods.periods;
  v.models.periods = periodsModel(periods.periods);
  renderPeriods(v);
  byId('periods-note').textContent =
    periods.periods.length === 0
      ? 'No live period in this range.'
      : 'Newest first; unique viewers are estimated (about 1 % error). Tick two to compare them.';

  const heat = heatMap(hourly.points, range);
  v.models.heatmap = heat.model;
  renderTable(byId('heatmap'), heat.model);
  for (const td of byId<HTMLTableElement>('heatmap').querySelectorAll<HTMLTableCellElement>(
    'tbody td',
  )) {
    const value = Number(td.textContent);
    if (td.cellIndex === 0 || td.textContent === '' || heat.max === 0) continue;
    const strength = value / heat.max;
    // Light enough at the top of the scale for the number to stay readable on it.
    td.style.background = `rgba(31, 111, 235, ${(0.04 + 0.46 * strength).toFixed(2)})`;
    td.classList.add('heat');
  }
  byId('heatmap-note').textContent =
    `Average sessions by day and hour (${timeZone}) over this range, from the room's first archived hour; an hour with nothing archived counts as 0.`;
}

function renderPeriods(v: RoomView): void {
  const table = byId<HTMLTableElement>('periods');
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
  byId('compare').hidden = chosen.length !== 2;
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
      const history = await api<{ points: HistoryPoint[] }>(
        `${v.path}/history?step=${step}&${query(customRange(span.startMs, span.endMs + 60_000))}`,
      );
      return {
        label: `From ${localTime(span.startMs)}`,
        startMs: span.startMs,
        points: history.points,
      };
    }),
  );
  if (v !== view) return;
  const model = compareModel(compared);
  v.models.compare = model;
  const container = byId('compare-chart');
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

function setRange(range: Range): void {
  if (!view) return;
  saveRange(range);
  view.range = range;
  view.history = null;
  view.compared.clear();
  view.compareChart?.destroy();
  view.compareChart = null;
  byId('compare').hidden = true;
  showRange(view);
}

for (const button of document.querySelectorAll<HTMLButtonElement>('.ranges button')) {
  button.addEventListener('click', () => {
    const name = button.dataset.range as RangeName;
    if (name === 'custom') {
      const range = view?.range ?? lastRange('day');
      byId<HTMLInputElement>('custom-from').value = localInputValue(range.fromMs);
      byId<HTMLInputElement>('custom-to').value = localInputValue(range.toMs);
      pressRangeButton('custom');
      byId<HTMLInputElement>('custom-from').focus();
      return;
    }
    setRange(lastRange(name));
  });
}

byId('custom-range').addEventListener('submit', (event) => {
  event.preventDefault();
  const fromMs = new Date(byId<HTMLInputElement>('custom-from').value).getTime();
  const toMs = new Date(byId<HTMLInputElement>('custom-to').value).getTime();
  if (!(fromMs < toMs)) {
    byId('custom-error').textContent = '“From” must be before “To”.';
    return;
  }
  byId('custom-error').textContent = '';
  setRange(customRange(fromMs, toMs));
});

for (const button of document.querySelectorAll<HTMLButtonElement>('button.csv')) {
  button.addEventListener('click', () => {
    if (!view) return;
    const what = button.dataset.csv as 'timeline' | 'entries' | 'periods' | 'compare' | 'heatmap';
    const name = `${view.room}-${what}.csv`;
    if (what === 'timeline') return download(name, toCsv(csvHeader, csvRows(view.rows)));
    const model = view.models[what];
    if (model) download(name, modelCsv(model));
  });
}

new ResizeObserver(() => {
  const container = byId('chart');
  if (view?.chart && container.clientWidth > 0) {
    view.chart.setSize({ width: chartWidth(container), height: chartHeight() });
  }
}).observe(byId('chart'));

/** Leaves the room view: its polls stop, its charts go. */
export function leaveRoom(): void {
  view?.chart?.destroy();
  view?.compareChart?.destroy();
  view = null;
}
