// Turns the archive scripts' replies into RoomReadings and readings back into commit arguments.
// Shared by the Redis store; the embedded store builds the same shapes directly.
import type { LivePeriodReading, PeriodAccumulators, RoomReading } from './store.js';

type Flat = (string | number)[];
type Reply = (string | number | Flat)[];

const toRecord = (flat: Flat): Record<string, string> => {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = String(flat[i + 1]);
  return record;
};

const num = (value: string | number | undefined, fallback = 0) => {
  const n = Number(value);
  return value === undefined || Number.isNaN(n) ? fallback : n;
};

export function periodFrom(hash: Record<string, string>, at: number): PeriodAccumulators {
  const joinsByEntry: Record<string, number> = {};
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith('e:') && num(value) > 0) joinsByEntry[field.slice(2)] = num(value);
  }
  return {
    since: num(hash.since, at),
    peakSessions: num(hash.ps),
    peakSessionsAt: num(hash.pst, at),
    peakViewers: num(hash.pv),
    peakViewersAt: num(hash.pvt, at),
    joins: num(hash.j),
    joinsByEntry,
  };
}

export function liveFrom(
  hash: Record<string, string | number>,
  end: number | null,
  uniqueViewers: number,
): LivePeriodReading {
  const start = num(hash.start);
  return {
    start,
    end,
    peakSessions: num(hash.ps),
    peakSessionsAt: num(hash.pst, start),
    peakViewers: num(hash.pv),
    peakViewersAt: num(hash.pvt, start),
    joins: num(hash.j),
    uniqueViewers,
  };
}

/** Null when the room has nothing to archive. */
export function parseReading(room: string, reply: Reply): RoomReading | null {
  const [at, sessions, viewers, visible, period, live, uniques, closed, liveEnd] = reply as [
    number,
    number,
    number,
    number,
    Flat,
    Flat,
    number,
    Flat,
    number,
  ];
  const periodHash = toRecord(period);
  const liveHash = toRecord(live);
  const ended = Object.values(toRecord(closed)).map((json) => {
    const record = JSON.parse(json) as Record<string, number>;
    return liveFrom(record, num(record.end), num(record.u));
  });
  let open: LivePeriodReading | null = null;
  if (liveHash.start !== undefined) {
    const reading = liveFrom(liveHash, liveEnd >= 0 ? liveEnd : null, uniques);
    if (liveEnd >= 0) ended.push(reading);
    else open = reading;
  }
  if (period.length === 0 && open === null && ended.length === 0) return null;
  ended.sort((a, b) => a.start - b.start);
  return {
    room,
    at,
    sessions,
    viewers,
    visible,
    period: periodFrom(periodHash, at),
    live: open,
    closed: ended,
  };
}

/** The argument of commit-rooms.lua for one reading. */
export function commitPayload(reading: RoomReading): string {
  return JSON.stringify([
    reading.at,
    reading.sessions,
    reading.viewers,
    reading.period.joins,
    reading.closed.map((c) => c.start),
    reading.period.joinsByEntry,
  ]);
}
