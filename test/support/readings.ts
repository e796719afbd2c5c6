// Builders of RoomReading fixtures for the archive suites, with every field explicit and sane.
import { randomBytes } from 'node:crypto';
import type { ConcentrationRule } from '../../src/presence/concentration.js';
import type { LivePeriodReading, RoomReading } from '../../src/presence/store.js';

/** A room-name prefix of its own for one test, so tests sharing a schema never see each other. */
export const roomPrefix = () => `r${randomBytes(4).toString('hex')}`;

/** CONCENTRATION_SHARE and CONCENTRATION_MIN_SESSIONS at their defaults. */
export const defaultConcentration: ConcentrationRule = { share: 0.5, minSessions: 50 };

export interface ReadingFields {
  room: string;
  since: number;
  at: number;
  sessions?: number;
  viewers?: number;
  visible?: number;
  peakSessions?: number;
  peakSessionsAt?: number;
  peakViewers?: number;
  peakViewersAt?: number;
  joins?: number;
  joinsByEntry?: Record<string, number>;
  activity?: Record<string, number>;
  live?: LivePeriodReading | null;
  closed?: LivePeriodReading[];
  busiestAddress?: number;
}

export function reading(f: ReadingFields): RoomReading {
  const sessions = f.sessions ?? 1;
  const viewers = f.viewers ?? sessions;
  return {
    room: f.room,
    at: f.at,
    sessions,
    viewers,
    visible: f.visible ?? sessions,
    busiestAddress: f.busiestAddress ?? 0,
    period: {
      since: f.since,
      peakSessions: f.peakSessions ?? sessions,
      peakSessionsAt: f.peakSessionsAt ?? f.since,
      peakViewers: f.peakViewers ?? viewers,
      peakViewersAt: f.peakViewersAt ?? f.since,
      joins: f.joins ?? 0,
      joinsByEntry: f.joinsByEntry ?? {},
      activity: f.activity ?? {},
    },
    live: f.live ?? null,
    closed: f.closed ?? [],
  };
}

export function livePeriod(f: Partial<LivePeriodReading> & { start: number }): LivePeriodReading {
  return {
    end: null,
    peakSessions: 1,
    peakSessionsAt: f.start,
    peakViewers: 1,
    peakViewersAt: f.start,
    joins: 1,
    uniqueViewers: 1,
    ...f,
  };
}
