// Who is here, in a room's view: its online viewers read page after page (up to a cap) at the
// count's pace while the tab shows, as a table of names set as text, never as HTML; with the
// total, how many appear offline, and whether the room vouches for its viewers' ids.
import type { OnlineViewer, ViewersAnswer } from './answers.js';
import { apiTagged, type Tagged } from './api.js';
import { clockTime, duration, localTime, utcTime } from './format.js';
import { findElements, pollUntil, type Shell } from './page.js';
import { renderTable, type TableModel } from './tables.js';

/** The most viewers the table lists; the rest are "and N more". */
export const maxViewersShown = 500;
/** Viewers asked for per page: the most the API gives. */
export const viewersPerPage = 100;

/** Who is here, as read over one round of pages. */
export interface ViewersReading {
  /** The listed viewers read, longest online first, at most the cap. */
  viewers: OnlineViewer[];
  /** Online viewers who appear offline: counted, never listed. */
  hidden: number;
  /** Online viewers, listed or not. */
  total: number;
  /** Listed viewers past the cap, not read; 0 when the table holds them all. */
  more: number;
}

/** Reads one page: the first when cursor is null. */
export type PageReader = (cursor: string | null, limit: number) => Promise<ViewersAnswer>;

/**
 * Reads the list from its first page, following next_cursor to the last page or the cap. The
 * figures are the last page's, the reading nearest in time to the end of the table.
 */
export async function readViewers(
  readPage: PageReader,
  cap = maxViewersShown,
): Promise<ViewersReading> {
  const viewers: OnlineViewer[] = [];
  let page = await readPage(null, Math.min(viewersPerPage, cap));
  viewers.push(...page.viewers);
  while (page.next_cursor !== null && viewers.length < cap) {
    page = await readPage(page.next_cursor, Math.min(viewersPerPage, cap - viewers.length));
    viewers.push(...page.viewers);
  }
  const shown = viewers.slice(0, cap);
  const cut = page.next_cursor !== null || viewers.length > cap;
  // Pages read a moment apart may disagree by a viewer or two: a cut list has at least one more.
  const more = cut ? Math.max(1, page.total - page.hidden - shown.length) : 0;
  return { viewers: shown, hidden: page.hidden, total: page.total, more };
}

/** Whether the room's ids are vouched for; null when nobody listed says so. */
export const verifiedOf = (reading: ViewersReading): boolean | null =>
  reading.viewers[0]?.verified ?? null;

/** "3 online: 2 listed, 1 appears offline." */
export function viewersInWords({ total, hidden }: ViewersReading): string {
  if (total === 0) return 'Nobody is online.';
  if (hidden === 0) return `${total} online, ${total === 1 ? 'listed' : 'all listed'}.`;
  if (hidden === total) return `${total} online, ${total === 1 ? '' : 'all '}appearing offline.`;
  return `${total} online: ${total - hidden} listed, ${hidden} ${hidden === 1 ? 'appears' : 'appear'} offline.`;
}

/** The marker's word and the sentence beside it. */
export function trustInWords(verified: boolean): { marker: string; sentence: string } {
  return verified
    ? { marker: 'verified', sentence: "A signed room: the site's backend vouched for each id." }
    : { marker: 'not verified', sentence: 'An open room: ids are whatever pages claimed.' };
}

/** "and 37 more (the table lists the first 500, longest online first)." */
export const moreInWords = (more: number, cap = maxViewersShown) =>
  `…and ${more} more (the table lists the first ${cap}, longest online first).`;

/** When the stretch began: the time of day when it is today here, else the date too. */
function sinceText(sinceMs: number, nowMs: number): string {
  const sameDay = new Date(sinceMs).toDateString() === new Date(nowMs).toDateString();
  return sameDay ? clockTime(sinceMs) : localTime(sinceMs);
}

/** The table of listed viewers; nowMs is the store's time now, for how long each has been here. */
export function viewersModel(viewers: readonly OnlineViewer[], nowMs: number): TableModel {
  return {
    columns: [
      { label: 'Viewer', csv: 'name' },
      { label: 'Id', csv: 'id', wide: true },
      { label: 'Online for', csv: 'online_s', numeric: true },
      { label: 'Since', csv: 'since', wide: true },
      { label: 'Tabs', csv: 'tabs', numeric: true },
      { label: 'State', csv: 'visible' },
    ],
    rows: viewers.map((viewer) => {
      const sinceMs = Date.parse(viewer.since);
      const onlineS = Math.max(0, Math.round((nowMs - sinceMs) / 1000));
      return [
        // The id stands in for a viewer its token did not name.
        { text: viewer.name ?? viewer.id, raw: viewer.name },
        { text: viewer.id, raw: viewer.id },
        { text: duration(onlineS), raw: onlineS, title: `since ${utcTime(sinceMs)}` },
        { text: sinceText(sinceMs, nowMs), raw: viewer.since, title: utcTime(sinceMs) },
        { text: String(viewer.tabs), raw: viewer.tabs },
        { text: viewer.visible ? 'visible' : 'in the background', raw: String(viewer.visible) },
      ];
    }),
  };
}

const viewersElements = () =>
  findElements({
    summary: ['viewers-summary', HTMLElement],
    trust: ['viewers-trust', HTMLElement],
    trustNote: ['viewers-trust-note', HTMLElement],
    wrap: ['viewers-wrap', HTMLElement],
    table: ['viewers', HTMLTableElement],
    more: ['viewers-more', HTMLElement],
  });

/**
 * Shows who is in the room and keeps it current until the signal aborts: every everyMs while the
 * tab shows, not at all while it is hidden. Each page is asked for with the ETag of the same page
 * in the round before, so an unchanged page is a 304.
 */
export function watchViewers(
  shell: Shell,
  signal: AbortSignal,
  roomPath: string,
  everyMs: number,
): void {
  const el = viewersElements();
  el.summary.textContent = 'Reading who is here…';
  el.trust.hidden = true;
  el.trustNote.textContent = '';
  el.wrap.hidden = true;
  el.more.hidden = true;
  renderTable(el.table, viewersModel([], 0));
  let pages = new Map<string, Tagged<ViewersAnswer>>();
  /** The store's clock minus this browser's, from the latest full answer. */
  let clockOffsetMs = 0;
  let drawn = '';

  pollUntil(
    signal,
    shell,
    everyMs,
    async () => {
      const read = new Map<string, Tagged<ViewersAnswer>>();
      const reading = await readViewers(async (cursor, limit) => {
        const after = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
        const path = `${roomPath}/viewers?limit=${limit}${after}`;
        const page = await apiTagged<ViewersAnswer>(path, pages.get(path));
        if (page.modified) clockOffsetMs = Date.parse(page.body.at) - Date.now();
        read.set(path, page);
        return page.body;
      });
      if (signal.aborted) return;
      // Only this round's pages are kept: the cursors of the next round are among them.
      pages = read;
      const model = viewersModel(reading.viewers, Date.now() + clockOffsetMs);
      // Redrawn only when something shown changed, so that a name being selected stays so.
      const shown = JSON.stringify([model.rows, reading.total, reading.hidden, reading.more]);
      if (shown === drawn) return;
      drawn = shown;
      showViewers(el, reading, model);
    },
    { whileHidden: 'pause' },
  );
}

function showViewers(
  el: ReturnType<typeof viewersElements>,
  reading: ViewersReading,
  model: TableModel,
): void {
  el.summary.textContent = viewersInWords(reading);
  const verified = verifiedOf(reading);
  el.trust.hidden = verified === null;
  if (verified !== null) {
    const { marker, sentence } = trustInWords(verified);
    el.trust.textContent = marker;
    el.trust.classList.toggle('unverified', !verified);
    el.trustNote.textContent = sentence;
  } else {
    el.trustNote.textContent = '';
  }
  renderTable(el.table, model);
  el.wrap.hidden = reading.viewers.length === 0;
  el.more.hidden = reading.more === 0;
  el.more.textContent = reading.more === 0 ? '' : moreInWords(reading.more);
}
