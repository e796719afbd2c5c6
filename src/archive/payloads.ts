// The JSON bodies sent to webhook receivers, one schema per event type. Public fields are
// snake_case, like every other field of the API; events.ts builds each body from these types.
import { type Static, type TSchema, Type } from '@fastify/type-provider-typebox';

const Time = (description: string) => Type.String({ format: 'date-time', description });
const Room = Type.String({ description: 'The room the event is about.' });

export const RoomLiveData = Type.Object(
  {
    room: Room,
    started_at: Time('When the empty room got its first session (UTC).'),
  },
  { additionalProperties: false },
);

export const RoomEmptyData = Type.Object(
  {
    room: Room,
    started_at: Time('When the live period began (UTC).'),
    ended_at: Time('When the room emptied: the last session’s deadline (UTC).'),
    peak_sessions: Type.Integer({ description: 'Highest sessions in the period.' }),
    peak_sessions_at: Time('When peak_sessions was first reached (UTC).'),
    peak_viewers: Type.Integer({ description: 'Highest viewers in the period.' }),
    joins: Type.Integer({ description: 'Sessions that came online in the period.' }),
    unique_viewers_estimate: Type.Integer({
      description: 'Distinct viewers over the period (HyperLogLog estimate, about 1 % error).',
    }),
  },
  { additionalProperties: false },
);

export const RoomPeakData = Type.Object(
  {
    room: Room,
    sessions: Type.Integer({ description: 'The new all-time peak of sessions.' }),
    at: Time('When it was first reached (UTC).'),
    previous: Type.Union([Type.Integer(), Type.Null()], {
      description: 'The all-time peak before it; null for the first peak of a room.',
    }),
  },
  { additionalProperties: false },
);

export const RoomThresholdData = Type.Object(
  {
    room: Room,
    threshold: Type.Integer({ description: 'The line crossed, one of WEBHOOK_THRESHOLDS.' }),
    direction: Type.Union([Type.Literal('up'), Type.Literal('down')]),
    sessions: Type.Integer({ description: 'Sessions when it was crossed.' }),
    at: Time('When it was crossed (UTC).'),
  },
  { additionalProperties: false },
);

export const RoomConcentratedData = Type.Object(
  {
    room: Room,
    sessions: Type.Integer({ description: 'Online sessions of the room at the reading.' }),
    busiest_address_sessions: Type.Integer({
      description:
        'Of them, the sessions of the busiest client address (the address itself is never sent).',
    }),
    share: Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'busiest_address_sessions / sessions, rounded to three decimals.',
    }),
    at: Time('When the snapshot read it (UTC).'),
    live_period_started_at: Time('When the live period began (UTC): the event is sent once in it.'),
  },
  { additionalProperties: false },
);

/** The body of one event type: {type, timestamp, data} (Standard Webhooks). */
const payload = <T extends string, D extends TSchema>(type: T, data: D, description: string) =>
  Type.Object(
    {
      type: Type.Literal(type),
      timestamp: Time('When it happened (UTC).'),
      data,
    },
    { additionalProperties: false, description },
  );

export const RoomLiveEvent = payload('room.live', RoomLiveData, 'A room got its first session.');
export const RoomEmptyEvent = payload('room.empty', RoomEmptyData, 'A room emptied.');
export const RoomPeakEvent = payload('room.peak', RoomPeakData, 'A new all-time peak of sessions.');
export const RoomThresholdEvent = payload(
  'room.threshold',
  RoomThresholdData,
  'The sessions reached a threshold, or fell under its hysteresis line.',
);

export const RoomConcentratedEvent = payload(
  'room.concentrated',
  RoomConcentratedData,
  'One client address holds more than CONCENTRATION_SHARE of a room of at least ' +
    'CONCENTRATION_MIN_SESSIONS sessions; sent at most once per live period.',
);

export type EventData = {
  'room.live': Static<typeof RoomLiveData>;
  'room.empty': Static<typeof RoomEmptyData>;
  'room.peak': Static<typeof RoomPeakData>;
  'room.threshold': Static<typeof RoomThresholdData>;
  'room.concentrated': Static<typeof RoomConcentratedData>;
};
export type EventType = keyof EventData;

/** Every webhook body by its name in the OpenAPI document's components. */
export const webhookPayloads = {
  RoomLiveEvent,
  RoomEmptyEvent,
  RoomPeakEvent,
  RoomThresholdEvent,
  RoomConcentratedEvent,
} as const;

/** The schema of each event type's data. */
export const eventData = {
  'room.live': RoomLiveData,
  'room.empty': RoomEmptyData,
  'room.peak': RoomPeakData,
  'room.threshold': RoomThresholdData,
  'room.concentrated': RoomConcentratedData,
} as const satisfies Record<EventType, TSchema>;
