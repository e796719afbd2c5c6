// The admin dashboard: active rooms with live counts and a small trend each, and per room its live
// count joined to its archived history on one time axis, and the questions operations ask of the
// archive (room.ts). Talks to the API of the origin it is on.
import type UPlot from 'uplot';
import { api, token } from './api.js';
import { clockTime } from './format.js';
import { askToken, byId, nextGeneration, pollView, show, status } from './page.js';
import { leaveRoom, showRoom } from './room.js';
import { type RoomCount, renderRooms, roomsPath, roomsState } from './rooms.js';

declare global {
  interface Window {
    /** uPlot, loaded as a classic script from /dashboard/uplot.js. */
    uPlot: typeof UPlot;
  }
}

const roomsEveryMs = 5_000;

function showRooms(): void {
  show('rooms-view');
  document.title = 'Active rooms · Headcount';
  roomsState.refresh = () => route();
  pollView(roomsEveryMs, async () => {
    const path = roomsPath();
    const { rooms, total, at } = await api<{ rooms: RoomCount[]; total: number; at: string }>(path);
    if (path !== roomsPath()) return;
    roomsState.update(rooms, total);
    renderRooms();
    status(`updated ${clockTime(Date.parse(at))}`);
  });
}

function route(): void {
  nextGeneration();
  const match = /^#room\/(.+)$/.exec(location.hash);
  if (!token.get()) askToken();
  else if (match) showRoom(decodeURIComponent(match[1]!));
  else {
    leaveRoom();
    showRooms();
  }
}

byId('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token.set(
    byId<HTMLInputElement>('token').value.trim(),
    byId<HTMLInputElement>('remember').checked,
  );
  byId<HTMLInputElement>('token').value = '';
  route();
});

byId('forget').addEventListener('click', () => askToken());

// A table that scrolls sideways (on a phone) is a region a keyboard must be able to reach and
// scroll; the markup keeps it a plain div, so it becomes one here.
for (const wrap of document.querySelectorAll<HTMLElement>('.table-wrap')) {
  wrap.tabIndex = 0;
  wrap.setAttribute('role', 'region');
  if (wrap.dataset.label) wrap.setAttribute('aria-label', wrap.dataset.label);
  if (wrap.dataset.labelledby) wrap.setAttribute('aria-labelledby', wrap.dataset.labelledby);
}

addEventListener('hashchange', route);
route();
