// <headcount-count room="launch">: the live number of a room as plain text in the page, kept
// fresh by the browser client (presence.ts). Attributes only, so that plain HTML, React, Vue and
// Svelte use it alike; see README.md.
import { type Count, type Handle, join } from './presence.js';

/** What an element shows: the room's count and its latest reading's live period peak. */
interface Shown {
  count?: Count;
  peak?: NonNullable<Count['peak']>;
}

/** One joined room per endpoint and room, shared by every element that shows it. */
interface Joined {
  handle: Handle;
  elements: Set<HeadcountCount>;
  shown: Shown;
}

const joined = new Map<string, Joined>();

/** The API the elements talk to unless they say: the origin this script was loaded from. */
const scriptOrigin = (() => {
  const src = (document.currentScript as HTMLScriptElement | null)?.src;
  return src ? new URL(src).origin : location.origin;
})();

const numbers = new Map<string, Intl.NumberFormat>();

/** Formats n in the language of the element's page part (its nearest lang attribute). */
function formatted(element: Element, n: number): string {
  const lang = element.closest('[lang]')?.getAttribute('lang') || navigator.language;
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
const fill = (template: string, n: string) => template.split('{n}').join(n);

export class HeadcountCount extends HTMLElement {
  static observedAttributes = [
    'room',
    'endpoint',
    'viewer',
    'webdriver',
    'show',
    'label',
    'peak-label',
  ];

  #key = '';

  connectedCallback(): void {
    this.#join();
  }

  disconnectedCallback(): void {
    this.#leave();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (!this.isConnected || old === value) return;
    if (['room', 'endpoint', 'viewer', 'webdriver'].includes(name)) {
      this.#leave();
      this.#join();
    } else {
      this.render();
    }
  }

  #join(): void {
    const room = this.getAttribute('room');
    if (!room) return;
    const endpoint = this.getAttribute('endpoint') || scriptOrigin;
    this.#key = `${endpoint} ${room}`;
    let entry = joined.get(this.#key);
    if (!entry) {
      const elements = new Set<HeadcountCount>();
      const shown: Shown = {};
      entry = {
        elements,
        shown,
        handle: join({
          endpoint,
          room,
          viewer: this.getAttribute('viewer') || undefined,
          allowWebdriver: this.hasAttribute('webdriver'),
          onCount(count) {
            shown.count = count;
            // Heartbeat responses carry no peak: the latest reading's stays.
            if (count.peak) shown.peak = count.peak;
            for (const element of elements) element.render();
          },
        }),
      };
      joined.set(this.#key, entry);
    }
    entry.elements.add(this);
    this.render();
  }

  #leave(): void {
    const entry = joined.get(this.#key);
    if (!entry) return;
    entry.elements.delete(this);
    if (entry.elements.size === 0) {
      entry.handle.leave();
      joined.delete(this.#key);
    }
    this.#key = '';
  }

  /** Writes the text: the number in its label, then the peak in its own, each in a span. */
  render(): void {
    const { count, peak } = joined.get(this.#key)?.shown ?? {};
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
