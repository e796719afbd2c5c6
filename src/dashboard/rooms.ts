// The rooms list: one page of active rooms at a time, searched by room id prefix and sorted by the
// API (never all of them in the page), each with a small trend of its sessions over the latest
// polls.
import { download, toCsv } from './tables.js';

interface Peak {
  sessions: number;
  viewers: number;
  at: string | null;
}

export interface RoomCount {
  room: string;
  sessions: number;
  viewers: number;
  visible: number;
  peak: Peak;
  at: string;
}

export const pageSize = 25;
/** Samples of each room's sessions kept for its trend: two minutes at the rooms' poll. */
const trendSamples = 24;

export const roomsState = {
  rooms: [] as RoomCount[],
  total: 0,
  trends: new Map<string, number[]>(),
  page: 0,
  /** Loads the list again at once (set by the page). */
  refresh: () => {},
  update(rooms: RoomCount[], total: number) {
    this.rooms = rooms;
    this.total = total;
    const seen = new Set<string>();
    for (const r of rooms) {
      seen.add(r.room);
      const trend = this.trends.get(r.room) ?? [];
      trend.push(r.sessions);
      if (trend.length > trendSamples) trend.shift();
      this.trends.set(r.room, trend);
    }
    // Trends of rooms that left the page are dropped, so memory stays one page's worth.
    for (const room of this.trends.keys()) if (!seen.has(room)) this.trends.delete(room);
  },
};

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const svgNs = 'http://www.w3.org/2000/svg';

/** A sparkline of the samples, scaled to its own highest value. */
function sparkline(samples: readonly number[]): SVGSVGElement {
  const width = 80;
  const height = 20;
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('aria-hidden', 'true');
  const max = Math.max(1, ...samples);
  const step = width / Math.max(1, trendSamples - 1);
  const offset = (trendSamples - samples.length) * step;
  const points = samples.map(
    (v, i) =>
      `${(offset + i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`,
  );
  if (samples.length === 1)
    points.unshift(`${(offset - 2).toFixed(1)},${points[0]!.split(',')[1]}`);
  const line = document.createElementNS(svgNs, 'polyline');
  line.setAttribute('points', points.join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', '#1f6feb');
  line.setAttribute('stroke-width', '1.5');
  svg.append(line);
  return svg;
}

function cell(row: HTMLTableRowElement, text: string, className = 'num'): HTMLTableCellElement {
  const td = row.insertCell();
  td.textContent = text;
  td.className = className;
  return td;
}

const searchPrefix = () => byId<HTMLInputElement>('room-search').value.trim();

/** The API path of the page of rooms asked for now. */
export function roomsPath(): string {
  const sort = byId<HTMLSelectElement>('room-sort').value;
  const prefix = encodeURIComponent(searchPrefix());
  return `/v1/rooms?limit=${pageSize}&offset=${roomsState.page * pageSize}&sort=${sort}&prefix=${prefix}`;
}

export function renderRooms(): void {
  const { rooms, total } = roomsState;
  const prefix = searchPrefix();
  const first = roomsState.page * pageSize;
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
    cell(row, '', 'trend').append(sparkline(roomsState.trends.get(count.room) ?? []));
  }
  byId('no-rooms').hidden = total > 0 || prefix !== '';
  byId('page-info').textContent =
    total === 0
      ? prefix
        ? `No active room starts with “${prefix}”.`
        : ''
      : `${first + 1}–${first + rooms.length} of ${total.toLocaleString('en-US')}`;
  byId<HTMLButtonElement>('page-prev').disabled = roomsState.page === 0;
  byId<HTMLButtonElement>('page-next').disabled = first + pageSize >= total;
}

let searchTimer: ReturnType<typeof setTimeout> | undefined;

byId('room-search').addEventListener('input', () => {
  roomsState.page = 0;
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => roomsState.refresh(), 200);
});
byId('room-sort').addEventListener('change', () => {
  roomsState.page = 0;
  roomsState.refresh();
});
byId('page-prev').addEventListener('click', () => {
  roomsState.page = Math.max(0, roomsState.page - 1);
  roomsState.refresh();
});
byId('page-next').addEventListener('click', () => {
  roomsState.page++;
  roomsState.refresh();
});

// The page of rooms as shown, as CSV.
byId('rooms-csv').addEventListener('click', () => {
  download(
    'active-rooms.csv',
    toCsv(
      ['room', 'sessions', 'viewers', 'visible', 'live_peak_sessions', 'at_utc'],
      roomsState.rooms.map((r) => [
        r.room,
        r.sessions,
        r.viewers,
        r.visible,
        r.peak.sessions,
        r.at,
      ]),
    ),
  );
});
