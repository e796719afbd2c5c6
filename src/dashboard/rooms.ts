// The rooms list: one page of active rooms at a time, searched by room id prefix and sorted by the
// API (never all of them in the page), each with a small trend of its sessions over the latest
// polls, and the share of its sessions behind its busiest client address (marked when that makes
// the room concentrated).

import type { BusiestAddress, ListedRoom, RoomsAnswer } from './answers.js';
import { api } from './api.js';
import { busiestInWords, clockTime, percent, sharePercent } from './format.js';
import {
  concentratedMarker,
  findElements,
  type MountedView,
  pollUntil,
  type Shell,
} from './page.js';
import { download, toCsv } from './tables.js';

export const pageSize = 25;
/** Samples of each room's sessions kept for its trend: two minutes at the rooms' poll. */
const trendSamples = 24;
const roomsEveryMs = 5_000;
/** A search waits for the typing to pause this long. */
const searchPauseMs = 200;

/** The elements the rooms view uses. */
const roomsElements = () =>
  findElements({
    search: ['room-search', HTMLInputElement],
    sort: ['room-sort', HTMLSelectElement],
    table: ['rooms', HTMLTableElement],
    noRooms: ['no-rooms', HTMLElement],
    pageInfo: ['page-info', HTMLElement],
    previous: ['page-prev', HTMLButtonElement],
    next: ['page-next', HTMLButtonElement],
    csv: ['rooms-csv', HTMLButtonElement],
  });

/** The rooms view while it is shown: created when it mounts, dropped when it is left. */
interface RoomsView {
  el: ReturnType<typeof roomsElements>;
  shell: Shell;
  /** Aborted when the view is left. */
  signal: AbortSignal;
  rooms: ListedRoom[];
  total: number;
  trends: Map<string, number[]>;
  page: number;
  /** The poll of the page of rooms asked for now; a new search, sort or page starts another. */
  poll: AbortController;
  searchTimer: ReturnType<typeof setTimeout> | undefined;
}

/** Shows the rooms list and polls it until the returned view is unmounted. */
export function mountRooms(shell: Shell): MountedView {
  const left = new AbortController();
  const v: RoomsView = {
    el: roomsElements(),
    shell,
    signal: left.signal,
    rooms: [],
    total: 0,
    trends: new Map(),
    page: 0,
    poll: new AbortController(),
    searchTimer: undefined,
  };
  document.title = 'Active rooms · Headcount';
  wireRooms(v);
  refresh(v);
  return {
    unmount: () => {
      clearTimeout(v.searchTimer);
      v.poll.abort();
      left.abort();
    },
  };
}

/** Loads the page of rooms asked for now, at once, and polls it. */
function refresh(v: RoomsView): void {
  v.poll.abort();
  v.poll = new AbortController();
  const signal = AbortSignal.any([v.signal, v.poll.signal]);
  pollUntil(signal, v.shell, roomsEveryMs, async () => {
    const path = roomsPath(v);
    const { rooms, total, at } = await api<RoomsAnswer>(path);
    if (signal.aborted || path !== roomsPath(v)) return;
    update(v, rooms, total);
    renderRooms(v);
    v.shell.status(`updated ${clockTime(Date.parse(at))}`);
  });
}

function update(v: RoomsView, rooms: ListedRoom[], total: number): void {
  v.rooms = rooms;
  v.total = total;
  const seen = new Set<string>();
  for (const r of rooms) {
    seen.add(r.room);
    const trend = v.trends.get(r.room) ?? [];
    trend.push(r.sessions);
    if (trend.length > trendSamples) trend.shift();
    v.trends.set(r.room, trend);
  }
  // Trends of rooms that left the page are dropped, so memory stays one page's worth.
  for (const room of v.trends.keys()) if (!seen.has(room)) v.trends.delete(room);
}

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

/**
 * The busiest address's share and sessions ("62 % · 310", kept on one line), with a marker in
 * words (not colour alone) when the room is concentrated, and the same in a sentence on hover.
 */
function busiestCell(row: HTMLTableRowElement, busiest: BusiestAddress): void {
  const td = cell(row, '', 'num busiest wide');
  td.title = busiestInWords(busiest);
  if (busiest.concentrated) td.append(concentratedMarker(), ' ');
  const figures = document.createElement('span');
  figures.className = 'figures';
  figures.textContent =
    busiest.sessions === 0 ? '–' : `${percent(busiest.share)} · ${busiest.sessions}`;
  td.append(figures);
}

/** The room's link; on a phone, where the busiest address column is hidden, its marker too. */
function roomCell(row: HTMLTableRowElement, room: ListedRoom): void {
  const td = cell(row, '', '');
  const link = document.createElement('a');
  link.href = `#room/${encodeURIComponent(room.room)}`;
  link.textContent = room.room;
  td.append(link);
  if (room.busiest_address.concentrated) {
    const marker = concentratedMarker();
    marker.classList.add('phone-only');
    marker.title = busiestInWords(room.busiest_address);
    td.append(' ', marker);
  }
}

const searchPrefix = (v: RoomsView) => v.el.search.value.trim();

/** The API path of the page of rooms asked for now. */
function roomsPath(v: RoomsView): string {
  const prefix = encodeURIComponent(searchPrefix(v));
  return `/v1/rooms?limit=${pageSize}&offset=${v.page * pageSize}&sort=${v.el.sort.value}&prefix=${prefix}`;
}

function renderRooms(v: RoomsView): void {
  const { rooms, total, el } = v;
  const prefix = searchPrefix(v);
  const first = v.page * pageSize;
  const body = el.table.tBodies[0]!;
  body.replaceChildren();
  for (const count of rooms) {
    const row = body.insertRow();
    roomCell(row, count);
    cell(row, String(count.sessions));
    cell(row, String(count.viewers));
    cell(row, String(count.visible), 'num wide');
    cell(row, String(count.peak.sessions), 'num wide');
    busiestCell(row, count.busiest_address);
    cell(row, '', 'trend').append(sparkline(v.trends.get(count.room) ?? []));
  }
  el.noRooms.hidden = total > 0 || prefix !== '';
  el.pageInfo.textContent =
    total === 0
      ? prefix
        ? `No active room starts with “${prefix}”.`
        : ''
      : `${first + 1}–${first + rooms.length} of ${total.toLocaleString('en-US')}`;
  el.previous.disabled = v.page === 0;
  el.next.disabled = first + pageSize >= total;
}

/** The view's listeners, removed when it is left. */
function wireRooms(v: RoomsView): void {
  const { el, signal } = v;
  const toPage = (page: number) => {
    v.page = page;
    refresh(v);
  };
  el.search.addEventListener(
    'input',
    () => {
      clearTimeout(v.searchTimer);
      v.searchTimer = setTimeout(() => toPage(0), searchPauseMs);
    },
    { signal },
  );
  el.sort.addEventListener('change', () => toPage(0), { signal });
  el.previous.addEventListener('click', () => toPage(Math.max(0, v.page - 1)), { signal });
  el.next.addEventListener('click', () => toPage(v.page + 1), { signal });
  // The page of rooms as shown, as CSV.
  el.csv.addEventListener(
    'click',
    () =>
      download(
        'active-rooms.csv',
        toCsv(
          [
            'room',
            'sessions',
            'viewers',
            'visible',
            'live_peak_sessions',
            'at_utc',
            'busiest_address_share_percent',
            'busiest_address_sessions',
            'busiest_address_concentrated',
          ],
          v.rooms.map((r) => [
            r.room,
            r.sessions,
            r.viewers,
            r.visible,
            r.peak.sessions,
            r.at,
            sharePercent(r.busiest_address.share),
            r.busiest_address.sessions,
            String(r.busiest_address.concentrated),
          ]),
        ),
      ),
    { signal },
  );
}
