// A room's activity beneath its viewers chart: a second chart on the same axis with the same
// cursor, a kind to ask about, "per 100 viewers", and the sentence saying whether activity moved
// with viewers and with joins over the range. Archived minutes only: the live count carries no
// activity, so the chart moves when the history is read again.
import type UPlot from 'uplot';
import {
  type ActivityPoint,
  activityOptions,
  activityRows,
  alignedActivity,
  allKinds,
  drawnKinds,
  kindTotals,
  minuteSeries,
  otherKinds,
} from './activity.js';
import { bestLag, type Fit, fitSentence, maxLagMin, minMinutes } from './correlation.js';
import { findElements } from './page.js';
import type { Range } from './ranges.js';

function activityElements() {
  return findElements({
    chart: ['activity-chart', HTMLElement],
    note: ['activity-note', HTMLElement],
    kind: ['activity-kind', HTMLSelectElement],
    per100: ['activity-per100', HTMLInputElement],
    sentence: ['activity-sentence', HTMLElement],
  });
}

export interface ActivityPanel {
  /** The archive over the range (null while it is read): redraws the chart and the sentence. */
  show(points: readonly ActivityPoint[] | null): void;
  /** The range moved with the clock: the axis follows, as the viewers chart's does. */
  follow(): void;
  resize(size: { width: number; height: number }): void;
  destroy(): void;
}

/** Mounts the panel; its listeners go with the signal. */
export function mountActivity(
  signal: AbortSignal,
  range: () => Range,
  size: () => { width: number; height: number },
  syncKey: string,
): ActivityPanel {
  const el = activityElements();
  let points: readonly ActivityPoint[] | null = null;
  let chart: UPlot | null = null;
  let data: UPlot.AlignedData = [[]];
  el.chart.replaceChildren();
  el.note.textContent = '';
  el.sentence.textContent = '';

  const draw = () => {
    chart?.destroy();
    chart = null;
    el.chart.replaceChildren();
    if (points === null) {
      el.note.textContent = 'Reading the archive…';
      return;
    }
    const drawn = drawnKinds(points);
    const per100 = el.per100.checked;
    data = alignedActivity(activityRows(points, range(), drawn, per100), drawn.length);
    chart = new window.uPlot(
      activityOptions(range, drawn, per100, size(), syncKey),
      data,
      el.chart,
    );
    const kinds = kindTotals(points).length;
    el.note.textContent =
      kinds === 0
        ? 'No activity archived in this range.'
        : `${per100 ? 'Events per minute per 100 viewers (average viewers of the minute)' : 'Events per minute'}, by kind${drawn.includes(otherKinds) ? `; kinds after the ${drawn.length - 1} largest summed as “other kinds”` : ''}. Archived minutes only: the newest appears when the snapshot job has archived it.`;
  };

  const listKinds = () => {
    const chosen = el.kind.value;
    const options = [new Option('All kinds', allKinds)];
    for (const [kind, total] of kindTotals(points ?? [])) {
      options.push(new Option(`${kind} (${total})`, kind));
    }
    el.kind.replaceChildren(...options);
    el.kind.value = options.some((o) => o.value === chosen) ? chosen : allKinds;
  };

  const say = () => {
    const s = el.sentence;
    delete s.dataset.lag;
    delete s.dataset.r;
    if (points === null) {
      s.textContent = '';
      s.dataset.state = 'reading';
      return;
    }
    const r = range();
    if (r.step !== '1m') {
      s.textContent =
        'Whether activity moved with viewers is read minute by minute: pick a range of 25 hours or less.';
      s.dataset.state = 'coarse';
      return;
    }
    const kind = el.kind.value;
    const what = kind === allKinds ? 'activity' : kind;
    const minutes = minuteSeries(points, r, kind);
    const withViewers = bestLag(minutes.viewers, minutes.activity);
    const withJoins = bestLag(minutes.joins, minutes.activity);
    s.textContent = `${fitSentence(what, 'viewers', withViewers)} ${fitSentence(what, 'joins', withJoins)}`;
    s.title = `Pearson's r of ${what} per minute against viewers (joins) per minute, at the lag from −${maxLagMin} to +${maxLagMin} minutes with the largest |r|; a positive lag means ${what} came after. At least ${minMinutes} minutes with both are needed.`;
    mark(s, withViewers);
  };

  el.per100.addEventListener('change', draw, { signal });
  el.kind.addEventListener('change', say, { signal });

  return {
    show(next) {
      points = next;
      listKinds();
      draw();
      say();
    },
    follow() {
      chart?.setData(data);
    },
    resize(next) {
      chart?.setSize(next);
    },
    destroy() {
      chart?.destroy();
      chart = null;
    },
  };
}

/** The fit against viewers on the sentence's element, for tests and for anyone reading the markup. */
function mark(s: HTMLElement, fit: Fit): void {
  s.dataset.state = fit.kind;
  if (fit.kind !== 'fit') return;
  s.dataset.lag = String(fit.lagMin);
  s.dataset.r = fit.r.toFixed(3);
}
