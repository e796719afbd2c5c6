// Times as the viewer reads them (their own zone) and as UTC, and numbers as a table shows them.
import type { BusiestAddress } from './answers.js';

export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const localFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const clockFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** "24 Nov 2026, 14:05" in the viewer's zone. */
export const localTime = (ms: number) => localFormat.format(ms);
export const clockTime = (ms: number) => clockFormat.format(ms);
/** "2026-11-24 13:05 UTC". */
export const utcTime = (ms: number) =>
  `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** "1 h 05 min", "12 min", "45 s". */
export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** A number with one decimal at most, as charts and tables show averages. */
export const decimal = (n: number) => String(Math.round(n * 10) / 10);

/** A share (0 to 1) as a percentage with one decimal at most: 62, 62.5. */
export const sharePercent = (share: number) => Math.round(share * 1000) / 10;
/** "62 %", "62.5 %". */
export const percent = (share: number) => `${sharePercent(share)} %`;

/** How much of a room its busiest client address holds, in words, for a title. */
export function busiestInWords(busiest: BusiestAddress): string {
  if (busiest.sessions === 0) return 'No session of this room has a known client address.';
  const held = `One client address holds ${percent(busiest.share)} of this room's sessions (${busiest.sessions}).`;
  return busiest.concentrated
    ? `${held} The room counts as concentrated: it has at least CONCENTRATION_MIN_SESSIONS sessions and one address holds more than CONCENTRATION_SHARE of them.`
    : held;
}
