// Which events a snapshot makes, as pure functions of its readings and of what the archive held:
// here room.concentrated, which has no state of its own but an id per live period.
import { describe, expect, it } from 'vitest';
import {
  type EventRules,
  type PreviousState,
  type RoomEvent,
  snapshotEvents,
} from '../../src/archive/events.js';
import { archiveRows } from '../../src/archive/rows.js';
import { livePeriod, type ReadingFields, reading } from '../support/readings.js';

const rules: EventRules = {
  thresholds: [],
  hysteresis: 0,
  concentration: { share: 0.5, minSessions: 10 },
};
const t = (iso: string) => Date.parse(`2026-11-24T10:${iso}Z`);
const start = t('00:05.000');

/** A reading of the room `hall`, live since `start`, at `at`, with `busiest` of `sessions`. */
const hall = (
  sessions: number,
  busiest: number,
  at = t('01:00.000'),
  more: Partial<ReadingFields> = {},
) =>
  reading({
    room: 'hall',
    since: start,
    at,
    sessions,
    busiestAddress: busiest,
    live: livePeriod({ start, peakSessions: sessions }),
    ...more,
  });

/** The archive already knew the live period and the room's peak: only concentration is news. */
const known: PreviousState = {
  livePeriods: new Map([[`hall\u0000${start}`, { ended: false }]]),
  peakSessions: new Map([['hall', 1000]]),
  above: new Map(),
};

const eventsOf = (readings: ReturnType<typeof hall>[], previous = known): RoomEvent[] =>
  snapshotEvents(archiveRows(readings), previous, rules).events;
const concentrated = (events: RoomEvent[]) => events.filter((e) => e.type === 'room.concentrated');

describe('room.concentrated', () => {
  it('fires when one address holds more than the share of a room of the minimum size, with the exact payload', () => {
    const at = t('01:00.000');
    expect(eventsOf([hall(12, 7, at)])).toEqual([
      {
        id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
        room: 'hall',
        type: 'room.concentrated',
        occurredAt: at,
        payload: {
          type: 'room.concentrated',
          timestamp: new Date(at).toISOString(),
          data: {
            room: 'hall',
            sessions: 12,
            busiest_address_sessions: 7,
            share: 0.583,
            at: new Date(at).toISOString(),
            live_period_started_at: new Date(start).toISOString(),
          },
        },
      },
    ]);
  });

  it('never names an address: the payload holds counts, a share and times only', () => {
    const [event] = concentrated(eventsOf([hall(40, 39)]));
    expect(Object.keys(event!.payload.data).sort()).toEqual([
      'at',
      'busiest_address_sessions',
      'live_period_started_at',
      'room',
      'sessions',
      'share',
    ]);
  });

  it('does not fire for a room under the minimum size, however concentrated', () => {
    expect(concentrated(eventsOf([hall(9, 9)]))).toEqual([]);
  });

  it('does not fire at exactly the share, only above it', () => {
    expect(concentrated(eventsOf([hall(20, 10)]))).toEqual([]);
    expect(concentrated(eventsOf([hall(20, 11)]))).toHaveLength(1);
  });

  it('does not fire for a room whose sessions are spread over addresses, or that names none', () => {
    expect(concentrated(eventsOf([hall(100, 50)]))).toEqual([]);
    expect(concentrated(eventsOf([hall(100, 0)]))).toEqual([]);
  });

  it('is one event per live period: later snapshots of the same period compute the same id', () => {
    const first = concentrated(eventsOf([hall(12, 7, t('01:00.000'))]));
    const later = concentrated(eventsOf([hall(30, 29, t('07:00.000'))]));
    expect(first).toHaveLength(1);
    expect(later).toHaveLength(1);
    // Same id: the outbox keeps the first (ON CONFLICT DO NOTHING), so it is sent once.
    expect(later[0]!.id).toBe(first[0]!.id);
  });

  it('fires again in a new live period of the room', () => {
    const next = t('30:00.000');
    const first = concentrated(eventsOf([hall(12, 7)]));
    const again = concentrated(
      eventsOf([
        hall(12, 7, t('31:00.000'), {
          since: next,
          live: livePeriod({ start: next, peakSessions: 12 }),
        }),
      ]),
    );
    expect(again).toHaveLength(1);
    expect(again[0]!.id).not.toBe(first[0]!.id);
    expect(again[0]!.payload.data).toMatchObject({
      live_period_started_at: new Date(next).toISOString(),
    });
  });

  it('has an id of its own per room', () => {
    const a = concentrated(eventsOf([hall(12, 7)]));
    const b = concentrated(eventsOf([hall(12, 7, t('01:00.000'), { room: 'lobby' })]));
    expect(b[0]!.room).toBe('lobby');
    expect(b[0]!.id).not.toBe(a[0]!.id);
  });

  it('comes after room.live, room.peak and room.threshold of the same instant, before room.empty', () => {
    const at = t('01:00.000');
    // A room seen for the first time, peaking and crossing a line at the instant of the reading.
    const events = snapshotEvents(
      archiveRows([hall(12, 7, at, { peakSessionsAt: at })]),
      { livePeriods: new Map(), peakSessions: new Map(), above: new Map() },
      { ...rules, thresholds: [10] },
    ).events;
    expect(events.map((e) => e.type)).toEqual([
      'room.live',
      'room.peak',
      'room.threshold',
      'room.concentrated',
    ]);
    // Another room that emptied at the very instant of a concentrated reading: the emptying last.
    const lobby = reading({
      room: 'lobby',
      since: t('00:01.000'),
      at: t('01:30.000'),
      sessions: 0,
      peakSessions: 3,
      peakSessionsAt: t('00:02.000'),
      closed: [
        livePeriod({
          start: t('00:01.000'),
          end: at,
          peakSessions: 3,
          peakSessionsAt: t('00:02.000'),
        }),
      ],
    });
    const atOnce = snapshotEvents(archiveRows([lobby, hall(12, 7, at)]), known, rules)
      .events.filter((e) => e.occurredAt === at)
      .map((e) => [e.type, e.room]);
    expect(atOnce).toEqual([
      ['room.concentrated', 'hall'],
      ['room.empty', 'lobby'],
    ]);
  });
});
