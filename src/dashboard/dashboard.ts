// The admin dashboard: active rooms with live counts and a small trend each, and per room its live
// count joined to its archived history on one time axis, and the questions operations ask of the
// archive (room.ts). Talks to the API of the origin it is on.
import type UPlot from 'uplot';
import { token } from './api.js';
import { findElements, type MountedView, type Shell } from './page.js';
import { mountRoom } from './room.js';
import { mountRooms } from './rooms.js';

declare global {
  interface Window {
    /** uPlot, loaded as a classic script from /dashboard/uplot.js. */
    uPlot: typeof UPlot;
  }
}

/** The elements of the page around the views: header, token prompt and the views' containers. */
const shellElements = () =>
  findElements({
    status: ['status', HTMLElement],
    forget: ['forget', HTMLButtonElement],
    login: ['login', HTMLElement],
    loginForm: ['login-form', HTMLFormElement],
    token: ['token', HTMLInputElement],
    remember: ['remember', HTMLInputElement],
    loginError: ['login-error', HTMLElement],
    roomsView: ['rooms-view', HTMLElement],
    roomView: ['room-view', HTMLElement],
  });

/** Wires the page: the token prompt, and the view the address asks for, one at a time. */
function mountDashboard(): void {
  const el = shellElements();
  let view: MountedView | null = null;

  const leave = () => {
    view?.unmount();
    view = null;
  };
  const show = (shown: HTMLElement | null) => {
    el.login.hidden = shown !== null;
    el.forget.hidden = shown === null;
    el.roomsView.hidden = shown !== el.roomsView;
    el.roomView.hidden = shown !== el.roomView;
  };
  const shell: Shell = {
    status: (text) => {
      el.status.textContent = text;
    },
    askToken: (message = '') => {
      leave();
      token.forget();
      show(null);
      el.loginError.textContent = message;
      el.token.focus();
    },
  };

  function route(): void {
    leave();
    const match = /^#room\/(.+)$/.exec(location.hash);
    if (!token.get()) {
      shell.askToken();
    } else if (match) {
      show(el.roomView);
      view = mountRoom(shell, decodeURIComponent(match[1]!));
    } else {
      show(el.roomsView);
      view = mountRooms(shell);
    }
  }

  el.loginForm.addEventListener('submit', (event) => {
    event.preventDefault();
    token.set(el.token.value.trim(), el.remember.checked);
    el.token.value = '';
    route();
  });
  el.forget.addEventListener('click', () => shell.askToken());

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
}

mountDashboard();
