// <headcount-viewers room="lounge" token="…">: who is here, as a sentence ("5 watching, including
// Ada, Grace and 3 others") and an accessible list of names, kept fresh by the browser client. It
// is a <headcount-count> that also reads the room's list; names are set as text, never as HTML.
// See README.md.
import { fill, formatted, HeadcountCount, langOf } from './element.js';
import type { Viewer } from './presence.js';

/** Names shown when the max attribute does not say. */
const defaultMax = 5;
/** The most a list read returns (the API's own limit). */
const maxLimit = 100;

/** Joins items as the element's language lists them ("Ada, Grace and 3 others"). */
function listed(element: Element, items: string[]): string {
  try {
    return new Intl.ListFormat(langOf(element), { type: 'conjunction' }).format(items);
  } catch {
    return items.join(', ');
  }
}

const part = <K extends keyof HTMLElementTagNameMap>(tag: K, name: string) => {
  const element = document.createElement(tag);
  element.setAttribute('part', name);
  return element;
};

export class HeadcountViewers extends HeadcountCount {
  static override observedAttributes = [
    'room',
    'endpoint',
    'viewer',
    'webdriver',
    'opt-out',
    'max',
    'label',
    'names-label',
    'others',
    'other',
  ];

  private summary?: HTMLElement;
  private list?: HTMLUListElement;

  /** How many names to show: the max attribute, 0 to 100. */
  private max(): number {
    const max = Number.parseInt(this.getAttribute('max') ?? '', 10);
    return max >= 0 ? Math.min(max, maxLimit) : defaultMax;
  }

  override listLimit(): number {
    return Math.max(1, this.max());
  }

  /** "N watching", or "N watching, including Ada, Grace and 3 others" when anyone is named. */
  private sentence(total: number, names: string[], others: number): string {
    const n = formatted(this, total);
    if (names.length === 0) return fill(this.getAttribute('label') || '{n} watching', n);
    if (others > 0) {
      const template =
        (others === 1 && this.getAttribute('other')) ||
        this.getAttribute('others') ||
        (others === 1 ? '{n} other' : '{n} others');
      names.push(fill(template, formatted(this, others)));
    }
    // The number first: a name that reads "{n}" stays a name.
    const text = fill(this.getAttribute('names-label') || '{n} watching, including {names}', n);
    return fill(text, listed(this, names), '{names}');
  }

  /** Writes the sentence, then the list of names, one entry per viewer, changing only what moved. */
  override render(): void {
    const { count, list } = this.shown;
    if (!count && !list) return;
    const named = list ? list.viewers.slice(0, this.max()) : [];
    // listed = total - hidden: those who asked not to be named are counted, never "others".
    const others = list ? list.total - list.hidden - named.length : 0;
    const text = this.sentence(
      list ? list.total : count!.viewers,
      named.map((viewer) => viewer.name || viewer.id),
      others,
    );
    if (!this.list || !this.contains(this.list)) {
      this.summary = part('span', 'summary');
      // The list carries the sentence as its name: a screen reader hears it once.
      this.summary.setAttribute('aria-hidden', 'true');
      this.list = part('ul', 'list');
      this.list.setAttribute('aria-live', 'polite');
      this.replaceChildren(this.summary, this.list);
    }
    if (this.summary!.textContent !== text) this.summary!.textContent = text;
    this.list.setAttribute('aria-label', text);
    this.entries(this.list, named);
  }

  /** Keeps an entry per viewer in order; a live region announces only the entries that change. */
  private entries(ul: HTMLUListElement, viewers: Viewer[]): void {
    const items = [...ul.children] as HTMLLIElement[];
    const gone = new Map(items.map((li) => [li.dataset.id, li]));
    viewers.forEach((viewer, i) => {
      let li = gone.get(viewer.id);
      gone.delete(viewer.id);
      if (!li) {
        li = part('li', 'viewer');
        li.dataset.id = viewer.id;
      }
      const name = viewer.name || viewer.id;
      if (li.textContent !== name) li.textContent = name;
      if (ul.children[i] !== li) ul.insertBefore(li, ul.children[i] ?? null);
    });
    for (const li of gone.values()) li.remove();
  }
}

if (!customElements.get('headcount-viewers')) {
  customElements.define('headcount-viewers', HeadcountViewers);
}
