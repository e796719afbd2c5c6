// What every view of the dashboard shares: the status line, which view is shown, the token
// prompt, and polls that stop when their view is left.
import { poll, token, Unauthorized } from './api.js';

export const byId = <T extends HTMLElement = HTMLElement>(id: string) =>
  document.getElementById(id) as T;

/** Bumped on every view change, so that polls of the previous view stop. */
let generation = 0;
export const nextGeneration = () => ++generation;
export const currentGeneration = () => generation;

export const status = (text: string) => {
  byId('status').textContent = text;
};

/** Polls while the view that started it is shown (see poll in api.ts). */
export function pollView(
  everyMs: number,
  task: () => Promise<void>,
  stillWanted = () => true,
): void {
  const mine = generation;
  poll(everyMs, task, {
    alive: () => mine === generation && stillWanted(),
    onError: (err) => {
      if (err instanceof Unauthorized) askToken('That token was refused; enter it again.');
      else status(`Could not update: ${err.message}`);
    },
  });
}

export function askToken(message = ''): void {
  generation++;
  token.forget();
  for (const id of ['rooms-view', 'room-view', 'forget']) byId(id).hidden = true;
  byId('login').hidden = false;
  byId('login-error').textContent = message;
  byId<HTMLInputElement>('token').focus();
}

export function show(view: 'rooms-view' | 'room-view'): void {
  byId('login').hidden = true;
  byId('forget').hidden = false;
  byId('rooms-view').hidden = view !== 'rooms-view';
  byId('room-view').hidden = view !== 'room-view';
}
