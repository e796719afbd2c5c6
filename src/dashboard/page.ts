// What every view of the dashboard shares: finding a view's elements, the shell a view reports
// to (status line, token prompt), polls that stop when their view is left, and the marker of a
// concentrated room.
import { type PollOptions, poll, Unauthorized } from './api.js';

type ElementClass = abstract new () => HTMLElement;

/** A view's elements by name: the id each is found by, and the class it must be. */
export type ElementSpec = Record<string, readonly [id: string, type: ElementClass]>;
export type Elements<T extends ElementSpec> = { [K in keyof T]: InstanceType<T[K][1]> };

/**
 * Finds a view's elements once, when the view mounts, and checks that each is what the view
 * takes it for: a page that lost one fails here, by name, not later on a null.
 */
export function findElements<T extends ElementSpec>(spec: T): Elements<T> {
  const found: Record<string, HTMLElement> = {};
  for (const [name, [id, type]] of Object.entries(spec)) {
    const element = document.getElementById(id);
    if (!(element instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
    found[name] = element;
  }
  return found as Elements<T>;
}

/** What a view may ask of the page around it. */
export interface Shell {
  /** Shows a line of status in the header. */
  status(text: string): void;
  /** The token was refused or is missing: leaves the view and asks for it. */
  askToken(message?: string): void;
}

/** A mounted view: leaving it stops its polls and removes its listeners. */
export interface MountedView {
  unmount(): void;
}

/** Polls until the signal aborts (see poll in api.ts); errors go to the shell. */
export function pollUntil(
  signal: AbortSignal,
  shell: Shell,
  everyMs: number,
  task: () => Promise<void>,
  { whileHidden }: Pick<PollOptions, 'whileHidden'> = {},
): void {
  poll(everyMs, task, {
    signal,
    whileHidden,
    onError: (err) => {
      if (err instanceof Unauthorized) shell.askToken('That token was refused; enter it again.');
      else shell.status(`Could not update: ${err.message}`);
    },
  });
}

/** The marker of a room concentrated by client address: a word, not a colour alone. */
export function concentratedMarker(): HTMLElement {
  const marker = document.createElement('span');
  marker.className = 'concentrated';
  marker.textContent = 'concentrated';
  return marker;
}
