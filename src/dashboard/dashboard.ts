// The admin dashboard: active rooms with live counts, and per room the live count, the live
// period's peak and a chart of the archived history. Talks to the API of the origin it is on.
import type UPlot from 'uplot';

declare global {
  interface Window {
    /** uPlot, loaded as a classic script from /dashboard/uplot.js. */
    uPlot: typeof UPlot;
  }
}

interface Peak {
  sessions: number;
  viewers: number;
  /** ISO time, null when the room is not live. */
  at: string | null;
}

interface Count {
  room: string;
  sessions: number;
  viewers: number;
  visible: number;
  peak: Peak;
  at: string;
}

interface HistoryPoint {
  at: string;
  sessions_avg: number;
  viewers_avg: number;
  peak_sessions: number;
  peak_viewers: number;
}

type Step = '1m' | '5m' | '1h' | '1d';

/** How far back each step looks, in ms: a few hundred points each. */
const spanMs: Record<Step, number> = {
  '1m': 6 * 3_600_000,
  '5m': 24 * 3_600_000,
  '1h': 7 * 86_400_000,
  '1d': 90 * 86_400_000,
};

const roomsEveryMs = 5_000;
const countEveryMs = 2_000;
const historyEveryMs = 60_000;
const tokenKey = 'headcountAdminToken';
const stepKey = 'headcountDashboardStep';

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

class Unauthorized extends Error {}

// Kept for this browser session only, unless the operator asked to remember it on this device.
let token = sessionStorage.getItem(tokenKey) ?? localStorage.getItem(tokenKey);
/** Bumped on every view change, so that polls of the previous view stop. */
let generation = 0;
let chart: UPlot | null = null;

async function api<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (res.status === 401 || res.status === 403) throw new Unauthorized();
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `the API answered ${res.status}`);
  }
  return (await res.json()) as T;
}

const status = (text: string) => {
  byId('status').textContent = text;
};

const timeOf = (iso: string) =>
  new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** Runs task now and every everyMs while the view that started it is shown. */
function poll(everyMs: number, task: () => Promise<void>): void {
  const mine = generation;
  const run = async () => {
    if (mine !== generation) return;
    try {
      await task();
    } catch (err) {
      if (err instanceof Unauthorized) return askToken('That token was refused; enter it again.');
      status(`Could not update: ${(err as Error).message}`);
    }
    if (mine === generation) setTimeout(run, everyMs);
  };
  void run();
}

function askToken(message = ''): void {
  generation++;
  token = null;
  sessionStorage.removeItem(tokenKey);
  localStorage.removeItem(tokenKey);
  for (const id of ['rooms-view', 'room-view', 'forget']) byId(id).hidden = true;
  byId('login').hidden = false;
  byId('login-error').textContent = message;
  byId<HTMLInputElement>('token').focus();
}

function show(view: 'rooms-view' | 'room-view'): void {
  byId('login').hidden = true;
  byId('forget').hidden = false;
  byId('rooms-view').hidden = view !== 'rooms-view';
  byId('room-view').hidden = view !== 'room-view';
}

function cell(row: HTMLTableRowElement, text: string, className = 'num'): HTMLTableCellElement {
  const td = row.insertCell();
  td.textContent = text;
  td.className = className;
  return td;
}

function showRooms(): void {
  show('rooms-view');
  document.title = 'Active rooms · Headcount';
  poll(roomsEveryMs, async () => {
    const { rooms, at } = await api<{ rooms: Count[]; at: string }>('/v1/rooms?limit=100');
    const body = byId<HTMLTableElement>('rooms').tBodies[0]!;
    body.replaceChildren();
    for (const count of rooms) {
      const row = body.insertRow();
      const link = document.createElement('a');
      link.href = `#room/${encodeURIComponent(count.room)}`;
      link.textContent = count.room;
      cell(row, '', '').append(link);
      cell(row, String(count.sessions));
      cell(row, String(count.viewers));
      cell(row, String(count.visible), 'num wide');
      cell(row, String(count.peak.sessions), 'num wide');
    }
    byId('no-rooms').hidden = rooms.length > 0;
    status(`${rooms.length} active · updated ${timeOf(at)}`);
  });
}

function chosenStep(): Step {
  const saved = localStorage.getItem(stepKey);
  return saved && saved in spanMs ? (saved as Step) : '5m';
}

function showRoom(room: string): void {
  show('room-view');
  document.title = `${room} · Headcount`;
  byId('room-name').textContent = room;
  for (const id of ['live-sessions', 'live-viewers', 'live-visible', 'live-peak']) {
    byId(id).textContent = '–';
  }
  const path = `/v1/rooms/${encodeURIComponent(room)}`;
  poll(countEveryMs, async () => {
    const count = await api<Count>(`${path}/count`);
    byId('live-sessions').textContent = String(count.sessions);
    byId('live-viewers').textContent = String(count.viewers);
    byId('live-visible').textContent = String(count.visible);
    byId('live-peak').textContent = String(count.peak.sessions);
    byId('live-peak-at').textContent = count.peak.at ? `at ${timeOf(count.peak.at)}` : 'not live';
    status(`live · updated ${timeOf(count.at)}`);
  });
  showHistory(path, chosenStep());
}

function showHistory(path: string, step: Step): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('.steps button')) {
    button.setAttribute('aria-pressed', String(button.dataset.step === step));
  }
  const mine = generation;
  poll(historyEveryMs, async () => {
    const from = new Date(Date.now() - spanMs[step]).toISOString();
    const history = await api<{ points: HistoryPoint[] }>(
      `${path}/history?step=${step}&from=${encodeURIComponent(from)}`,
    );
    if (mine === generation) drawChart(history.points, step);
  });
}

function drawChart(points: HistoryPoint[], step: Step): void {
  const x = points.map((p) => Date.parse(p.at) / 1000);
  const data: UPlot.AlignedData = [
    x,
    points.map((p) => p.peak_sessions),
    points.map((p) => p.sessions_avg),
    points.map((p) => p.peak_viewers),
    points.map((p) => p.viewers_avg),
  ];
  byId('chart-note').textContent =
    points.length === 0
      ? 'No snapshots in this range yet: the archive writes one per room per minute.'
      : `${points.length} points, one per ${step}; peaks are exact, averages are of the counts at each snapshot.`;
  const container = byId('chart');
  const size = { width: Math.max(container.clientWidth - 16, 200), height: chartHeight() };
  chart?.destroy();
  chart = new window.uPlot(
    {
      ...size,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [
        {},
        {
          label: 'Peak sessions',
          stroke: '#cf222e',
          width: 2,
          paths: window.uPlot.paths.stepped?.({ align: 1 }),
        },
        { label: 'Sessions (avg)', stroke: '#1f6feb', width: 2, fill: 'rgba(31,111,235,.08)' },
        {
          label: 'Peak viewers',
          stroke: '#bf8700',
          width: 1,
          dash: [4, 4],
          paths: window.uPlot.paths.stepped?.({ align: 1 }),
        },
        { label: 'Viewers (avg)', stroke: '#2da44e', width: 1 },
      ],
      axes: [{}, { label: 'people', size: 50 }],
    },
    data,
    container,
  );
}

const chartHeight = () => (window.innerWidth < 640 ? 220 : 320);

function route(): void {
  generation++;
  const match = /^#room\/(.+)$/.exec(location.hash);
  if (!token) askToken();
  else if (match) showRoom(decodeURIComponent(match[1]!));
  else showRooms();
}

byId('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = byId<HTMLInputElement>('token').value.trim();
  (byId<HTMLInputElement>('remember').checked ? localStorage : sessionStorage).setItem(
    tokenKey,
    token,
  );
  byId<HTMLInputElement>('token').value = '';
  route();
});

byId('forget').addEventListener('click', () => askToken());

for (const button of document.querySelectorAll<HTMLButtonElement>('.steps button')) {
  button.addEventListener('click', () => {
    const step = button.dataset.step as Step;
    localStorage.setItem(stepKey, step);
    route();
  });
}

new ResizeObserver(() => {
  const container = byId('chart');
  if (chart && container.clientWidth > 0) {
    chart.setSize({ width: Math.max(container.clientWidth - 16, 200), height: chartHeight() });
  }
}).observe(byId('chart'));

addEventListener('hashchange', route);
route();
