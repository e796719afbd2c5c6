// <headcount-count room="launch">: the live number of a room as plain text in the page, kept
// fresh by the browser client (presence.ts). Attributes only, so that plain HTML, React, Vue and
// Svelte use it alike; see README.md. <headcount-viewers> (viewers.ts) builds on it.
import { type Count, type Handle, join, type Viewers } from './presence.js';

/** What an element shows: the room's count, its latest reading's live period peak, the list. */
export interface Shown {
  count?: Count;
  peak?: NonNullable<Count['peak']>;
  list?: Viewers;
}

/** One joined room per endpoint and room, shared by every element that shows it. */
interface Joined {
  handle: Handle;
  elements: Set<HeadcountCount>;
  shown: Shown;
}

// On the page's global, so that headcount-count.js and headcount-viewers.js loaded in one page
// share a room's one session rather than beating twice for it.
const pageGlobal = globalThis as unknown as Record<symbol, Map<string, Joined> | undefined>;
const joinedKey = Symbol.for('headcount.joined');
pageGlobal[joinedKey] ??= new Map();
const joined = pageGlobal[joinedKey];

/** The API the elements talk to unless they say: the origin this script was loaded from. */
const scriptOrigin = (() => {
  const src = (document.currentScript as HTMLScriptElement | null)?.src;
  return src ? new URL(src).origin : location.origin;
})();

const numbers = new Map<string, Intl.NumberFormat>();

/** The language of the element's page part: its nearest lang attribute, else the browser's. */
export const langOf = (element: Element) =>
  element.closest('[lang]')?.getAttribute('lang') || navigator.language;

/** Formats n in the language of the element's page part. */
export function formatted(element: Element, n: number): string {
  const lang = langOf(element);
  let format = numbers.get(lang);
  if (!format) {
    try {
      format = new Intl.NumberFormat(lang);
    } catch {
      format = new Intl.NumberFormat();
    }
    numbers.set(lang, format);
  }
  return format.format(n);
}

/** Fills a label template: {n} is the number. */
export const fill = (template: string, value: string, placeholder = '{n}') =>
  template.split(placeholder).join(value);

export class HeadcountCount extends HTMLElement {
  static observedAttributes = [
    'room',
    'endpoint',
    'viewer',
    'webdriver',
    'opt-out',
    'show',
    'label',
    'peak-label',
  ];

  /** The room this element shows, as `endpoint room`; '' while it shows none. */
  private joinedKey = '';

  /**
   * Set from connectedCallback on: while a parsed element is upgraded, attributeChangedCallback
   * runs for each attribute first, and a join per attribute would say leave for the one before.
   */
  private connected = false;

  connectedCallback(): void {
    this.connected = true;
    this.joinRoom();
  }

  disconnectedCallback(): void {
    this.connected = false;
    this.leaveRoom();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (!this.connected || old === value) return;
    if (['room', 'endpoint', 'viewer', 'webdriver', 'opt-out'].includes(name)) {
      this.leaveRoom();
      this.joinRoom();
    } else {
      this.render();
    }
  }

  private joinRoom(): void {
    const room = this.getAttribute('room');
    if (!room) return;
    const endpoint = this.getAttribute('endpoint') || scriptOrigin;
    this.joinedKey = `${endpoint} ${room}`;
    let entry = joined.get(this.joinedKey);
    if (!entry) {
      const elements = new Set<HeadcountCount>();
      const shown: Shown = {};
      const renderAll = () => {
        for (const element of elements) element.render();
      };
      /** The most names an element of the room shows; 0 when none shows the list. */
      const listed = () => Math.max(0, ...[...elements].map((e) => e.listLimit()));
      entry = {
        elements,
        shown,
        handle: join({
          endpoint,
          room,
          viewer: this.getAttribute('viewer') || undefined,
          allowWebdriver: this.hasAttribute('webdriver'),
          optOut: this.hasAttribute('opt-out'),
          // Read at each renewal: a site keeps the attribute fresh. None: the room is open.
          token: (() =>
            [...elements].map((e) => e.getAttribute('token')).find(Boolean)) as () => string,
          // The count is read while an element shows it, or while no list has brought a total.
          get poll() {
            return !shown.list || [...elements].some((e) => !e.listLimit());
          },
          get limit() {
            return listed();
          },
          get onViewers() {
            return listed()
              ? (list: Viewers) => {
                  shown.list = list;
                  renderAll();
                }
              : undefined;
          },
          onCount(count) {
            shown.count = count;
            // Heartbeat responses carry no peak: the latest reading's stays.
            if (count.peak) shown.peak = count.peak;
            renderAll();
          },
        }),
      };
      joined.set(this.joinedKey, entry);
    }
    entry.elements.add(this);
    this.render();
  }

  private leaveRoom(): void {
    const entry = joined.get(this.joinedKey);
    if (!entry) return;
    entry.elements.delete(this);
    if (entry.elements.size === 0) {
      entry.handle.leave();
      joined.delete(this.joinedKey);
    }
    this.joinedKey = '';
  }

  /** How many names of the room's list this element shows; 0: it shows no list. */
  listLimit(): number {
    return 0;
  }

  /** What the room's shared client has read so far. */
  protected get shown(): Shown {
    return joined.get(this.joinedKey)?.shown ?? {};
  }

  /** Writes the text: the number in its label, then the peak in its own, each in a span. */
  render(): void {
    const { count, peak } = this.shown;
    if (!count) return;
    const show = this.getAttribute('show');
    const field = show === 'sessions' || show === 'visible' ? show : 'viewers';
    const n = count[field] ?? count.sessions;
    const parts: [string, string][] = [
      ['count', fill(this.getAttribute('label') || '{n} watching', formatted(this, n))],
    ];
    const peakLabel = this.getAttribute('peak-label');
    if (peakLabel && peak) {
      // The live period's peak of what is shown (visible has none: its sessions' peak bounds it).
      const high = Math.max(field === 'viewers' ? peak.viewers : peak.sessions, n);
      parts.push(['peak', fill(peakLabel, formatted(this, high))]);
    }
    const text = parts.map(([, t]) => t).join(', ');
    if (this.getAttribute('aria-label') === text) return;
    this.replaceChildren(
      ...parts.flatMap(([part, t], i) => {
        const span = document.createElement('span');
        span.setAttribute('part', part);
        span.textContent = t;
        return i === 0 ? [span] : [' ', span];
      }),
    );
    // A status whose name is the whole text; announced only where the site asks (aria-live).
    if (!this.hasAttribute('role')) this.setAttribute('role', 'status');
    if (!this.hasAttribute('aria-live')) this.setAttribute('aria-live', 'off');
    this.setAttribute('aria-label', text);
  }
}

if (!customElements.get('headcount-count')) {
  customElements.define('headcount-count', HeadcountCount);
}
