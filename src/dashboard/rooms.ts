// The rooms list: the largest active rooms (the API lists at most 1000, largest first), searched
// by room id prefix, sorted and paged in the page, each with a small trend of its sessions over
// the latest polls.

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

type Sort = 'sessions' | 'viewers' | 'peak' | 'room';

const comparators: Record<Sort, (a: RoomCount, b: RoomCount) => number> = {
  sessions: (a, b) => b.sessions - a.sessions || a.room.localeCompare(b.room),
  viewers: (a, b) => b.viewers - a.viewers || a.room.localeCompare(b.room),
  peak: (a, b) => b.peak.sessions - a.peak.sessions || a.room.localeCompare(b.room),
  room: (a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0),
};

export const roomsState = {
  rooms: [] as RoomCount[],
  trends: new Map<string, number[]>(),
  page: 0,
  update(rooms: RoomCount[], _atMs: number) {
    this.rooms = rooms;
    const seen = new Set<string>();
    for (const r of rooms) {
      seen.add(r.room);
      const trend = this.trends.get(r.room) ?? [];
      trend.push(r.sessions);
      if (trend.length > trendSamples) trend.shift();
      this.trends.set(r.room, trend);
    }
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

export function renderRooms(): void {
  const prefix = byId<HTMLInputElement>('room-search').value.trim();
  const sort = byId<HTMLSelectElement>('room-sort').value as Sort;
  const matching = roomsState.rooms
    .filter((r) => r.room.startsWith(prefix))
    .sort(comparators[sort] ?? comparators.sessions);
  const pages = Math.max(1, Math.ceil(matching.length / pageSize));
  roomsState.page = Math.min(roomsState.page, pages - 1);
  const first = roomsState.page * pageSize;
  const shown = matching.slice(first, first + pageSize);

  const body = byId<HTMLTableElement>('rooms').tBodies[0]!;
  body.replaceChildren();
  for (const count of shown) {
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
  byId('no-rooms').hidden = roomsState.rooms.length > 0;
  byId('no-rooms').textContent = roomsState.rooms.length === 0 ? 'Nobody is online right now.' : '';
  byId('page-info').textContent =
    matching.length === 0
      ? prefix
        ? `No active room starts with “${prefix}”.`
        : ''
      : `${first + 1}–${first + shown.length} of ${matching.length}`;
  byId<HTMLButtonElement>('page-prev').disabled = roomsState.page === 0;
  byId<HTMLButtonElement>('page-next').disabled = roomsState.page >= pages - 1;
}

byId('room-search').addEventListener('input', () => {
  roomsState.page = 0;
  renderRooms();
});
byId('room-sort').addEventListener('change', () => {
  roomsState.page = 0;
  renderRooms();
});
byId('page-prev').addEventListener('click', () => {
  roomsState.page = Math.max(0, roomsState.page - 1);
  renderRooms();
});
byId('page-next').addEventListener('click', () => {
  roomsState.page++;
  renderRooms();
});
