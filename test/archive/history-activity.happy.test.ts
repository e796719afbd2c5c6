// GET /v1/rooms/:room/history?include=activity on real databases, the archive written by the real
// writer: each point carries the events of its step by kind (summed from the minute rows, the
// hourly or the daily rollups as the step reads), CSV has one activity_<kind> column per kind in
// a stable order, and without include the answer is what it always was.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReadings } from '../../src/archive/writer.js';
import type { Database } from '../../src/db/client.js';
import { auth, openArchiveApp } from '../support/archive-app.js';
import { closeTestDatabase, databaseKinds, openTestDatabase, t } from '../support/databases.js';
import { reading, roomPrefix } from '../support/readings.js';

const minute = 60_000;

interface Point {
  at: string;
  sessions_last: number;
  joins: number;
  activity?: Record<string, number>;
}

/**
 * Ten minutes from 10:00 (comments every minute, reactions on even minutes, nothing at all in
 * minute 7), then one at 11:00 with a purchase and two kinds that differ only by - and _.
 */
const minutes: Record<string, number>[] = [
  ...Array.from({ length: 10 }, (_, i) =>
    i === 7 ? {} : { comment: i + 1, ...(i % 2 === 0 ? { reaction: 2 } : {}) },
  ),
];

async function archive(database: Database, room: string) {
  const start = t('2026-11-24T10:00:00.000Z');
  for (const [i, activity] of minutes.entries()) {
    await writeReadings(database.db, [
      reading({
        room,
        since: start + i * minute,
        at: start + (i + 1) * minute,
        sessions: 2 + i,
        activity,
      }),
    ]);
  }
  const later = t('2026-11-24T11:00:00.000Z');
  await writeReadings(database.db, [
    reading({
      room,
      since: later,
      at: later + minute,
      sessions: 3,
      activity: { purchase: 1, hand_raise: 4, 'hand-raise': 5 },
    }),
  ]);
}

describe.each(databaseKinds)('history with activity on $kind', ({ kind }) => {
  let database: Database;
  let app: FastifyInstance;
  const room = roomPrefix();
  beforeAll(async () => {
    database = await openTestDatabase(kind);
    app = await openArchiveApp(database);
    await archive(database, room);
  });
  afterAll(async () => {
    await app?.close();
    await closeTestDatabase(database);
  });

  const get = (query: string, headers: Record<string, string> = {}) =>
    app.inject({
      url: `/v1/rooms/${room}/history?from=2026-11-24T10:00:00Z&to=2026-11-24T12:00:00Z&${query}`,
      headers: { ...auth, ...headers },
    });
  const pointsOf = async (query: string) => {
    const res = await get(query);
    expect(res.statusCode).toBe(200);
    return (res.json() as { points: Point[] }).points;
  };

  it('gives each minute its events by kind, and a minute without any an empty object', async () => {
    const points = await pointsOf('step=1m&include=activity');
    expect(points.map((p) => [p.at, p.activity])).toEqual([
      ...minutes.map((activity, i) => [
        `2026-11-24T10:0${i}:00.000Z`,
        Object.fromEntries(Object.entries(activity).sort()),
      ]),
      ['2026-11-24T11:00:00.000Z', { 'hand-raise': 5, hand_raise: 4, purchase: 1 }],
    ]);
    expect(points[7]?.activity).toEqual({});
    // Kinds in order, whatever the database's collation.
    expect(Object.keys(points.at(-1)?.activity ?? {})).toEqual([
      'hand-raise',
      'hand_raise',
      'purchase',
    ]);
  });

  it('sums the events of each step: five minutes from the minute rows, hours and days from the rollups', async () => {
    const comments = (from: number, to: number) =>
      minutes.slice(from, to).reduce((sum, m) => sum + (m.comment ?? 0), 0);
    const reactions = (from: number, to: number) =>
      minutes.slice(from, to).reduce((sum, m) => sum + (m.reaction ?? 0), 0);
    expect((await pointsOf('step=5m&include=activity')).map((p) => [p.at, p.activity])).toEqual([
      ['2026-11-24T10:00:00.000Z', { comment: comments(0, 5), reaction: reactions(0, 5) }],
      ['2026-11-24T10:05:00.000Z', { comment: comments(5, 10), reaction: reactions(5, 10) }],
      ['2026-11-24T11:00:00.000Z', { 'hand-raise': 5, hand_raise: 4, purchase: 1 }],
    ]);
    const hour = { comment: comments(0, 10), reaction: reactions(0, 10) };
    expect((await pointsOf('step=1h&include=activity')).map((p) => [p.at, p.activity])).toEqual([
      ['2026-11-24T10:00:00.000Z', hour],
      ['2026-11-24T11:00:00.000Z', { 'hand-raise': 5, hand_raise: 4, purchase: 1 }],
    ]);
    const days = await app.inject({
      url: `/v1/rooms/${room}/history?from=2026-11-24&to=2026-11-25&step=1d&include=activity`,
      headers: auth,
    });
    expect((days.json() as { points: Point[] }).points.map((p) => p.activity)).toEqual([
      {
        comment: hour.comment,
        'hand-raise': 5,
        hand_raise: 4,
        purchase: 1,
        reaction: hour.reaction,
      },
    ]);
  });

  it('answers without include exactly as before: no activity on any point', async () => {
    for (const step of ['1m', '5m', '1h']) {
      const plain = await get(`step=${step}`);
      const withActivity = await get(`step=${step}&include=activity`);
      const points = (withActivity.json() as { points: Point[] }).points;
      expect((plain.json() as { points: Point[] }).points).toEqual(
        points.map(({ activity: _, ...rest }) => rest),
      );
      expect(plain.body).not.toContain('activity');
    }
  });

  it('gives CSV one activity_<kind> column per kind of the range, in order, 0 where a step had none', async () => {
    const fixed =
      'at,sessions_avg,sessions_last,viewers_avg,viewers_last,peak_sessions,peak_sessions_at,peak_viewers,joins';
    const res = await get('step=1h&include=activity&format=csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe(
      `${fixed},activity_comment,activity_hand-raise,activity_hand_raise,activity_purchase,activity_reaction`,
    );
    const cells = lines.slice(1, -1).map((line) => line.split(','));
    expect(cells.map((c) => [c[0], ...c.slice(9)])).toEqual([
      ['2026-11-24T10:00:00.000Z', '47', '0', '0', '0', '10'],
      ['2026-11-24T11:00:00.000Z', '0', '5', '4', '1', '0'],
    ]);
    // The same with Accept: text/csv; and without include, the columns of old.
    expect((await get('step=1h&include=activity', { accept: 'text/csv' })).body).toBe(res.body);
    const plain = await get('step=1h&format=csv');
    expect(plain.body.split('\r\n')[0]).toBe(fixed);
    expect(plain.body.split('\r\n').slice(1)).toEqual(
      lines.slice(1).map((line) => line.split(',').slice(0, 9).join(',')),
    );
  });

  it('gives a range without any activity no activity columns and empty objects', async () => {
    const res = await app.inject({
      url: `/v1/rooms/${room}-quiet/history?from=2026-11-24T10:00:00Z&to=2026-11-24T11:00:00Z&include=activity&format=csv`,
      headers: auth,
    });
    expect(res.body.split('\r\n')[0]).not.toContain('activity');
    const quiet = `${room}-q`;
    await writeReadings(database.db, [
      reading({ room: quiet, since: t('2026-11-24T10:00:00Z'), at: t('2026-11-24T10:01:00Z') }),
    ]);
    const json = await app.inject({
      url: `/v1/rooms/${quiet}/history?from=2026-11-24T10:00:00Z&to=2026-11-24T11:00:00Z&include=activity`,
      headers: auth,
    });
    expect((json.json() as { points: Point[] }).points.map((p) => p.activity)).toEqual([{}]);
  });
});
