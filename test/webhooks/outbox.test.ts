// Webhook events are written by the snapshot, in its transaction: which events, in which order,
// once each, with hysteresis on thresholds, and never without their snapshot.
import { asc, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRules } from '../../src/archive/events.js';
import { type EventType, eventData } from '../../src/archive/payloads.js';
import { writeReadings } from '../../src/archive/writer.js';
import type { Database } from '../../src/db/client.js';
import { snapshots, webhookEvents } from '../../src/db/schema/index.js';
import { closeTestDatabase, databaseKinds, openTestDatabase, t } from '../support/databases.js';
import { defaultConcentration, livePeriod, reading, roomPrefix } from '../support/readings.js';

const noThresholds: EventRules = {
  thresholds: [],
  hysteresis: 0.1,
  concentration: defaultConcentration,
};
const minute = (m: number, s = 0) =>
  t(`2026-11-24T10:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.000Z`);

describe.each(databaseKinds)('webhook outbox on $kind', ({ kind }) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => closeTestDatabase(database));

  const eventsOf = async (prefix: string) =>
    (
      await database.db
        .select()
        .from(webhookEvents)
        .where(like(webhookEvents.room, `${prefix}%`))
        .orderBy(asc(webhookEvents.seq))
    ).map((e) => ({
      id: e.id,
      type: e.type,
      room: e.room,
      at: e.occurredAt.toISOString(),
      data: (e.payload as { data: Record<string, unknown> }).data,
      status: e.status,
    }));

  it('follows a room from live through new peaks to empty, in order, each event once', async () => {
    const room = `${roomPrefix()}-life`;
    const start = minute(0, 5);
    const live = (peakSessions: number, peakSessionsAt: number, end: number | null = null) =>
      livePeriod({ start, end, peakSessions, peakSessionsAt });
    const write = (r: Parameters<typeof reading>[0]) =>
      writeReadings(database.db, [reading(r)], { events: noThresholds });

    await write({
      room,
      since: start,
      at: minute(1),
      sessions: 3,
      peakSessions: 3,
      peakSessionsAt: minute(0, 30),
      live: live(3, minute(0, 30)),
    });
    await write({
      room,
      since: minute(1),
      at: minute(2),
      sessions: 4,
      peakSessions: 5,
      peakSessionsAt: minute(1, 40),
      live: live(5, minute(1, 40)),
    });
    await write({
      room,
      since: minute(2),
      at: minute(3),
      sessions: 2,
      peakSessions: 4,
      peakSessionsAt: minute(2, 10),
      live: live(5, minute(1, 40)),
    });
    const last = await write({
      room,
      since: minute(3),
      at: minute(4),
      sessions: 0,
      peakSessions: 2,
      peakSessionsAt: minute(3),
      closed: [live(5, minute(1, 40), minute(3, 50))],
    });
    expect(last.events).toBe(1);

    const events = await eventsOf(room);
    expect(events.map((e) => [e.type, e.at])).toEqual([
      ['room.live', new Date(start).toISOString()],
      ['room.peak', new Date(minute(0, 30)).toISOString()],
      ['room.peak', new Date(minute(1, 40)).toISOString()],
      ['room.empty', new Date(minute(3, 50)).toISOString()],
    ]);
    expect(events[1]?.data).toMatchObject({ room, sessions: 3, previous: null });
    expect(events[2]?.data).toMatchObject({ room, sessions: 5, previous: 3 });
    expect(events[3]?.data).toMatchObject({
      room,
      peak_sessions: 5,
      ended_at: new Date(minute(3, 50)).toISOString(),
    });
    expect(events.every((e) => e.status === 'pending' && e.id.startsWith('evt_'))).toBe(true);
  });

  it('writes nothing twice when the same readings are written again', async () => {
    const room = `${roomPrefix()}-retry`;
    const r = reading({
      room,
      since: minute(0),
      at: minute(1),
      sessions: 2,
      live: livePeriod({ start: minute(0), peakSessions: 2 }),
    });
    const first = await writeReadings(database.db, [r], { events: noThresholds });
    const again = await writeReadings(database.db, [r], { events: noThresholds });
    expect(first.events).toBe(2);
    expect((await eventsOf(room)).map((e) => e.type)).toEqual(['room.live', 'room.peak']);
    // Computed again, the same events carry the same ids: the outbox keeps one of each.
    expect(again.events).toBe(0);
  });

  it('sends room.threshold up at the peak and down under the hysteresis line, not on every wobble', async () => {
    const room = `${roomPrefix()}-line`;
    const rules: EventRules = {
      thresholds: [10],
      hysteresis: 0.2,
      concentration: defaultConcentration,
    }; // down under 8
    // [peak, peak time (s into the minute), sessions at the end of the period]
    const periods: [number, number, number][] = [
      [9, 10, 9], // below
      [10, 20, 10], // up, at the peak
      [11, 5, 9], // wobbling above the line
      [10, 40, 8], // still not under 8
      [10, 15, 7], // down, at the end of the period
      [9, 30, 9], // below
      [12, 25, 12], // up again
    ];
    for (const [i, [peak, second, end]] of periods.entries()) {
      await writeReadings(
        database.db,
        [
          reading({
            room,
            since: minute(i),
            at: minute(i + 1),
            sessions: end,
            peakSessions: peak,
            peakSessionsAt: minute(i, second),
          }),
        ],
        { events: rules },
      );
    }
    const crossings = (await eventsOf(room))
      .filter((e) => e.type === 'room.threshold')
      .map((e) => [e.data.direction, e.data.sessions, e.at]);
    expect(crossings).toEqual([
      ['up', 10, new Date(minute(1, 20)).toISOString()],
      ['down', 7, new Date(minute(5)).toISOString()],
      ['up', 12, new Date(minute(6, 25)).toISOString()],
    ]);
  });

  it('dates the crossing down of a room that emptied at its emptying, before room.empty', async () => {
    const room = `${roomPrefix()}-gone`;
    const rules: EventRules = {
      thresholds: [3],
      hysteresis: 0,
      concentration: defaultConcentration,
    };
    const start = minute(0, 2);
    const period = (end: number | null) =>
      livePeriod({ start, end, peakSessions: 4, peakSessionsAt: minute(0, 10) });
    await writeReadings(
      database.db,
      [
        reading({
          room,
          since: start,
          at: minute(1),
          sessions: 4,
          peakSessions: 4,
          peakSessionsAt: minute(0, 10),
          live: period(null),
        }),
      ],
      { events: rules },
    );
    await writeReadings(
      database.db,
      [
        reading({
          room,
          since: minute(1),
          at: minute(2),
          sessions: 0,
          peakSessions: 4,
          peakSessionsAt: minute(1),
          closed: [period(minute(1, 30))],
        }),
      ],
      { events: rules },
    );
    const events = (await eventsOf(room)).map((e) => [e.type, e.data.direction ?? null, e.at]);
    expect(events).toEqual([
      ['room.live', null, new Date(start).toISOString()],
      ['room.peak', null, new Date(minute(0, 10)).toISOString()],
      ['room.threshold', 'up', new Date(minute(0, 10)).toISOString()],
      ['room.threshold', 'down', new Date(minute(1, 30)).toISOString()],
      ['room.empty', null, new Date(minute(1, 30)).toISOString()],
    ]);
    // Each of the four bodies has exactly the fields its published schema names (snake_case).
    for (const e of await eventsOf(room)) {
      const schema = eventData[e.type as EventType];
      expect(Object.keys(e.data).sort(), e.type).toEqual(Object.keys(schema.properties).sort());
    }
  });

  it('writes no event without webhooks, and none without its snapshot', async () => {
    const p = roomPrefix();
    await writeReadings(database.db, [
      reading({ room: `${p}-quiet`, since: minute(0), at: minute(1), sessions: 4 }),
    ]);
    // A reading the database refuses (negative count) fails the whole transaction.
    const refused = writeReadings(
      database.db,
      [
        reading({
          room: `${p}-bad`,
          since: minute(0),
          at: minute(1),
          sessions: -1,
          peakSessions: 3,
          peakSessionsAt: minute(0, 5),
        }),
      ],
      { events: { thresholds: [1], hysteresis: 0, concentration: defaultConcentration } },
    );
    await expect(refused).rejects.toThrow();
    expect(await eventsOf(p)).toEqual([]);
    const rows = await database.db
      .select()
      .from(snapshots)
      .where(like(snapshots.room, `${p}%`));
    expect(rows.map((r) => r.room)).toEqual([`${p}-quiet`]);
  });
});
