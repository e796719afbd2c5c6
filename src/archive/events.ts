// Which webhook events a snapshot produces: pure functions of the rows it writes and of what the
// archive held before. Event ids are derived from what the event is about, so the same event
// computed twice (a retried snapshot, two instances) is one event.
import { createHash } from 'node:crypto';
import type { RoomThresholdRow } from '../db/schema/index.js';
import { busiestAddress, type ConcentrationRule } from '../presence/concentration.js';
import type { EventData, EventType } from './payloads.js';
import type { ArchiveRows } from './rows.js';

export type { EventType } from './payloads.js';

export interface RoomEvent {
  /** Stable id, sent as webhook-id. */
  id: string;
  room: string;
  type: EventType;
  /** When it happened, store time, epoch ms. */
  occurredAt: number;
  /** The JSON body sent to receivers (payloads.ts: its fields are snake_case). */
  payload: { type: EventType; timestamp: string; data: EventData[EventType] };
}

/** What the archive held before this snapshot, for the rooms it reads. */
export interface PreviousState {
  /** Live periods already archived, by `${room}\0${startedAt ms}`: whether each had ended. */
  livePeriods: Map<string, { ended: boolean }>;
  /** All-time peak sessions by room. */
  peakSessions: Map<string, number>;
  /** Whether each room was above each threshold, by `${room}\0${threshold}`. */
  above: Map<string, boolean>;
}

export interface EventRules {
  /** Session counts that send room.threshold, ascending. */
  thresholds: readonly number[];
  /** Above T, a room is below again under T × (1 − hysteresis). */
  hysteresis: number;
  /** When one client address holds too much of a room (room.concentrated). */
  concentration: ConcentrationRule;
}

export const livePeriodKey = (room: string, startedAt: Date) =>
  `${room}\u0000${startedAt.getTime()}`;
export const thresholdKey = (room: string, threshold: number) => `${room}\u0000${threshold}`;

/** The sessions under which a room above the threshold counts as below it again. */
export const lowerLine = (threshold: number, hysteresis: number) => threshold * (1 - hysteresis);

/** At one instant: a room goes live, peaks, crosses lines, is found concentrated, then empties. */
const order: Record<EventType, number> = {
  'room.live': 0,
  'room.peak': 1,
  'room.threshold': 2,
  'room.concentrated': 3,
  'room.empty': 4,
};

const eventId = (...parts: (string | number)[]) =>
  `evt_${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32)}`;

/** An event and its body; `data` is written in the payload's own (public) field names. */
function event<T extends EventType>(
  type: T,
  room: string,
  occurredAt: number,
  key: (string | number)[],
  data: Omit<EventData[T], 'room'>,
): RoomEvent {
  const timestamp = new Date(occurredAt).toISOString();
  return {
    id: eventId(type, room, ...key),
    room,
    type,
    occurredAt,
    payload: { type, timestamp, data: { room, ...data } as EventData[T] },
  };
}

/**
 * The events of one snapshot, in the order they happened per room, and the new threshold states.
 * room.live: a live period the archive did not know; room.empty: one that ended; room.peak: an
 * all-time peak of sessions above the archived one; room.threshold: the period's peak reached a
 * threshold (up, at the time the peak was first reached) or, above it, the sessions at the end
 * of the period fell under the hysteresis line (down, at the end of the period, or when the room
 * emptied if it did); room.concentrated: at the reading, one client address held more than the
 * rule's share of a room of at least its minimum size. That one has no state of its own: its id
 * comes from the room and the start of its live period, so the outbox keeps the first of a period.
 */
export function snapshotEvents(
  rows: ArchiveRows,
  previous: PreviousState,
  rules: EventRules,
): { events: RoomEvent[]; thresholds: RoomThresholdRow[] } {
  const events: RoomEvent[] = [];
  const thresholds: RoomThresholdRow[] = [];

  for (const p of rows.livePeriods) {
    const known = previous.livePeriods.get(livePeriodKey(p.room, p.startedAt));
    const start = p.startedAt.getTime();
    if (!known) {
      events.push(
        event('room.live', p.room, start, [start], { started_at: p.startedAt.toISOString() }),
      );
    }
    if (p.endedAt && !known?.ended) {
      events.push(
        event('room.empty', p.room, p.endedAt.getTime(), [start], {
          started_at: p.startedAt.toISOString(),
          ended_at: p.endedAt.toISOString(),
          peak_sessions: p.peakSessions,
          peak_sessions_at: p.peakSessionsAt.toISOString(),
          peak_viewers: p.peakViewers,
          joins: p.joins,
          unique_viewers_estimate: p.uniqueViewersEstimate,
        }),
      );
    }
  }

  for (const peak of rows.roomPeaks) {
    const before = previous.peakSessions.get(peak.room);
    if (before !== undefined && peak.peakSessions <= before) continue;
    events.push(
      event('room.peak', peak.room, peak.peakSessionsAt.getTime(), [peak.peakSessions], {
        sessions: peak.peakSessions,
        at: peak.peakSessionsAt.toISOString(),
        previous: before ?? null,
      }),
    );
  }

  // When each room last emptied, if it did: a room that fell below a line by emptying did so by then.
  const emptiedAt = new Map<string, number>();
  for (const p of rows.livePeriods) {
    const end = p.endedAt?.getTime();
    if (end !== undefined && end > (emptiedAt.get(p.room) ?? 0)) emptiedAt.set(p.room, end);
  }

  for (const row of rows.snapshots) {
    const peakAt = (row.peakSessionsAt ?? row.periodStart).getTime();
    const emptied = emptiedAt.get(row.room);
    const end =
      row.sessions === 0 && emptied !== undefined
        ? Math.max(peakAt, Math.min(emptied, row.periodEnd.getTime()))
        : row.periodEnd.getTime();
    const crossed = (threshold: number, direction: 'up' | 'down', at: number, sessions: number) => {
      events.push(
        event('room.threshold', row.room, at, [threshold, direction, at], {
          threshold,
          direction,
          sessions,
          at: new Date(at).toISOString(),
        }),
      );
      thresholds.push({
        room: row.room,
        threshold,
        above: direction === 'up',
        changedAt: new Date(at),
      });
    };
    const ups = rules.thresholds.filter(
      (t) => !previous.above.get(thresholdKey(row.room, t)) && row.peakSessions >= t,
    );
    for (const t of ups) crossed(t, 'up', peakAt, row.peakSessions);
    const downs = rules.thresholds
      .filter((t) => previous.above.get(thresholdKey(row.room, t)) || ups.includes(t))
      .filter((t) => row.sessions < lowerLine(t, rules.hysteresis))
      .reverse();
    for (const t of downs) crossed(t, 'down', end, row.sessions);
  }

  for (const r of rows.readings) {
    const busiest = busiestAddress(r.sessions, r.busiestAddress, rules.concentration);
    if (!busiest.concentrated || !r.live) continue;
    const start = r.live.start;
    events.push(
      event('room.concentrated', r.room, r.at, [start], {
        sessions: r.sessions,
        busiest_address_sessions: busiest.sessions,
        share: busiest.share,
        at: new Date(r.at).toISOString(),
        live_period_started_at: new Date(start).toISOString(),
      }),
    );
  }

  // In the order they happened, room by room; at one instant, in the order a room lives them.
  events.sort((a, b) => a.occurredAt - b.occurredAt || order[a.type] - order[b.type]);
  return { events, thresholds: lastPerKey(thresholds) };
}

/** The latest state of each (room, threshold): an up and a down in one snapshot leave it below. */
function lastPerKey(rows: RoomThresholdRow[]): RoomThresholdRow[] {
  const byKey = new Map<string, RoomThresholdRow>();
  for (const row of rows) byKey.set(thresholdKey(row.room, row.threshold), row);
  return [...byKey.values()];
}
