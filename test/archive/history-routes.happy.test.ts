// The history and periods routes on real databases: rollups by step, ranges, CSV, live periods.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { auth, openArchiveApp } from '../support/archive-app.js';
import { closeTestDatabase, databaseKinds, openTestDatabase } from '../support/databases.js';
import { roomPrefix } from '../support/readings.js';
import { livePeriodRow, seedLivePeriods, seedSnapshots } from '../support/seed.js';

interface Point {
  at: string;
  sessions_avg: number;
  sessions_last: number;
  viewers_avg: number;
  viewers_last: number;
  peak_sessions: number;
  peak_sessions_at: string | null;
  peak_viewers: number;
  joins: number;
}

describe.each(databaseKinds)('history and periods routes on $kind', ({ kind }) => {
  let database: Database;
  let app: FastifyInstance;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
    app = await openArchiveApp(database);
  });
  afterAll(async () => {
    await app?.close();
    await closeTestDatabase(database);
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ url, headers: { ...auth, ...headers } });

  it('returns one point per minute with the counts and peaks of each snapshot', async () => {
    const room = roomPrefix();
    await seedSnapshots(database, room, [
      {
        start: '2026-11-24T10:00:00Z',
        sessions: 3,
        peakSessions: 5,
        peakSessionsAt: '2026-11-24T10:00:40Z',
        joins: 5,
      },
      { start: '2026-11-24T10:01:00Z', sessions: 4, viewers: 3, joins: 1 },
    ]);
    await seedSnapshots(database, `${room}-other`, [
      { start: '2026-11-24T10:00:00Z', sessions: 99 },
    ]);
    const res = await get(
      `/v1/rooms/${room}/history?from=2026-11-24T10:00:00Z&to=2026-11-24T10:05:00Z&step=1m`,
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      room,
      step: '1m',
      from: '2026-11-24T10:00:00.000Z',
      to: '2026-11-24T10:05:00.000Z',
      points: [
        {
          at: '2026-11-24T10:00:00.000Z',
          sessions_avg: 3,
          sessions_last: 3,
          viewers_avg: 3,
          viewers_last: 3,
          peak_sessions: 5,
          peak_sessions_at: '2026-11-24T10:00:40.000Z',
          peak_viewers: 3,
          joins: 5,
        },
        {
          at: '2026-11-24T10:01:00.000Z',
          sessions_avg: 4,
          sessions_last: 4,
          viewers_avg: 3,
          viewers_last: 3,
          peak_sessions: 4,
          peak_sessions_at: '2026-11-24T10:01:00.000Z',
          peak_viewers: 3,
          joins: 1,
        },
      ],
    });
  });

  it('rolls up by hour: max of peaks with the time first reached, average and last of counts, sum of joins', async () => {
    const room = roomPrefix();
    await seedSnapshots(database, room, [
      { start: '2026-11-24T10:58:00Z', sessions: 2, joins: 1 },
      {
        start: '2026-11-24T11:00:00Z',
        sessions: 4,
        peakSessions: 9,
        peakSessionsAt: '2026-11-24T11:00:30Z',
        joins: 2,
      },
      {
        start: '2026-11-24T11:30:00Z',
        sessions: 6,
        peakSessions: 9,
        peakSessionsAt: '2026-11-24T11:30:10Z',
        joins: 3,
      },
      // The period 11:59-12:00 counts for the hour in which it started.
      { start: '2026-11-24T11:59:00Z', sessions: 5, joins: 4 },
    ]);
    const res = await get(
      `/v1/rooms/${room}/history?from=2026-11-24T10:30:00Z&to=2026-11-24T12:30:00Z&step=1h`,
    );
    const body = res.json() as { from: string; points: Point[] };
    expect(body.from).toBe('2026-11-24T10:00:00.000Z');
    expect(body.points).toEqual([
      expect.objectContaining({
        at: '2026-11-24T10:00:00.000Z',
        sessions_avg: 2,
        sessions_last: 2,
        joins: 1,
      }),
      {
        at: '2026-11-24T11:00:00.000Z',
        sessions_avg: 5,
        sessions_last: 5,
        viewers_avg: 5,
        viewers_last: 5,
        peak_sessions: 9,
        peak_sessions_at: '2026-11-24T11:00:30.000Z',
        peak_viewers: 6,
        joins: 9,
      },
    ]);
    // The hourly view says the same as the route.
    const [view] = await database.query(
      `SELECT sessions_avg, sessions_last, peak_sessions, joins FROM snapshots_hourly WHERE room = '${room}' AND hour = '2026-11-24T11:00:00Z'`,
    );
    expect(view).toMatchObject({ sessions_avg: 5, sessions_last: 5, peak_sessions: 9 });
    expect(Number(view?.joins)).toBe(9);
  });

  it('rolls up by UTC day and by five minutes', async () => {
    const room = roomPrefix();
    await seedSnapshots(database, room, [
      { start: '2026-11-23T23:59:00Z', sessions: 1 },
      { start: '2026-11-24T00:00:00Z', sessions: 3 },
      { start: '2026-11-24T00:04:00Z', sessions: 5 },
      { start: '2026-11-24T00:05:00Z', sessions: 7 },
    ]);
    const days = (
      await get(`/v1/rooms/${room}/history?from=2026-11-23&to=2026-11-25&step=1d`)
    ).json() as {
      points: Point[];
    };
    expect(days.points.map((p) => [p.at, p.sessions_avg, p.peak_sessions])).toEqual([
      ['2026-11-23T00:00:00.000Z', 1, 1],
      ['2026-11-24T00:00:00.000Z', 5, 7],
    ]);
    const fives = (
      await get(
        `/v1/rooms/${room}/history?from=2026-11-24T00:00:00Z&to=2026-11-24T00:10:00Z&step=5m`,
      )
    ).json() as {
      points: Point[];
    };
    expect(fives.points.map((p) => [p.at, p.sessions_avg, p.sessions_last])).toEqual([
      ['2026-11-24T00:00:00.000Z', 4, 5],
      ['2026-11-24T00:05:00.000Z', 7, 7],
    ]);
  });

  it('defaults to the last 24 hours at one-minute steps, and accepts epoch milliseconds', async () => {
    const room = roomPrefix();
    const now = Date.now();
    const minute = (ms: number) => new Date(Math.floor(ms / 60_000) * 60_000).toISOString();
    await seedSnapshots(database, room, [
      { start: minute(now - 30 * 3_600_000), sessions: 1 },
      { start: minute(now - 3_600_000), sessions: 2 },
    ]);
    const recent = (await get(`/v1/rooms/${room}/history`)).json() as {
      step: string;
      points: Point[];
    };
    expect(recent.step).toBe('1m');
    expect(recent.points.map((p) => p.sessions_last)).toEqual([2]);
    const epoch = (
      await get(`/v1/rooms/${room}/history?from=${now - 31 * 3_600_000}&to=${now}&step=1h`)
    ).json() as {
      points: Point[];
    };
    expect(epoch.points.map((p) => p.sessions_last)).toEqual([1, 2]);
  });

  it('gives CSV with format=csv and with Accept: text/csv', async () => {
    const room = roomPrefix();
    await seedSnapshots(database, room, [
      { start: '2026-11-24T10:00:00Z', sessions: 3, joins: 2 },
      { start: '2026-11-24T10:01:00Z', sessions: 0, peakSessions: 0, viewers: 0 },
    ]);
    const url = `/v1/rooms/${room}/history?from=2026-11-24T10:00:00Z&to=2026-11-24T10:02:00Z&step=1m`;
    const expected =
      'at,sessions_avg,sessions_last,viewers_avg,viewers_last,peak_sessions,peak_sessions_at,peak_viewers,joins\r\n' +
      '2026-11-24T10:00:00.000Z,3,3,3,3,3,2026-11-24T10:00:00.000Z,3,2\r\n' +
      '2026-11-24T10:01:00.000Z,0,0,0,0,0,,0,0\r\n';
    for (const res of [await get(`${url}&format=csv`), await get(url, { accept: 'text/csv' })]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="${room}-history-1m.csv"`,
      );
      expect(res.body).toBe(expected);
    }
  });

  it('lists the live periods that overlap the range, the open one included, oldest first', async () => {
    const room = roomPrefix();
    await seedLivePeriods(database, [
      livePeriodRow(room, '2026-11-24T06:00:00Z', '2026-11-24T07:00:00Z'),
      livePeriodRow(room, '2026-11-24T09:30:00Z', '2026-11-24T10:30:00Z', {
        peakSessions: 40,
        peakSessionsAt: new Date('2026-11-24T10:01:00Z'),
        joins: 55,
        uniqueViewersEstimate: 38,
      }),
      livePeriodRow(room, '2026-11-24T11:00:00Z', null),
      livePeriodRow(`${room}-other`, '2026-11-24T10:00:00Z', null),
    ]);
    const res = await get(
      `/v1/rooms/${room}/periods?from=2026-11-24T10:00:00Z&to=2026-11-24T12:00:00Z`,
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      room,
      from: '2026-11-24T10:00:00.000Z',
      to: '2026-11-24T12:00:00.000Z',
      periods: [
        {
          started_at: '2026-11-24T09:30:00.000Z',
          ended_at: '2026-11-24T10:30:00.000Z',
          duration_s: 3600,
          peak_sessions: 40,
          peak_sessions_at: '2026-11-24T10:01:00.000Z',
          peak_viewers: 1,
          peak_viewers_at: '2026-11-24T09:30:00.000Z',
          joins: 55,
          unique_viewers_estimate: 38,
        },
        expect.objectContaining({
          started_at: '2026-11-24T11:00:00.000Z',
          ended_at: null,
          duration_s: null,
        }),
      ],
    });
    const csv = await get(
      `/v1/rooms/${room}/periods?from=2026-11-24T10:00:00Z&to=2026-11-24T12:00:00Z&format=csv`,
    );
    expect(csv.body.split('\r\n')).toEqual([
      'started_at,ended_at,duration_s,peak_sessions,peak_sessions_at,peak_viewers,peak_viewers_at,joins,unique_viewers_estimate',
      '2026-11-24T09:30:00.000Z,2026-11-24T10:30:00.000Z,3600,40,2026-11-24T10:01:00.000Z,1,2026-11-24T09:30:00.000Z,55,38',
      '2026-11-24T11:00:00.000Z,,,1,2026-11-24T11:00:00.000Z,1,2026-11-24T11:00:00.000Z,1,1',
      '',
    ]);
  });

  it('answers an unknown room with no points and no periods, not 404', async () => {
    const room = roomPrefix();
    expect((await get(`/v1/rooms/${room}/history`)).json()).toMatchObject({ room, points: [] });
    expect((await get(`/v1/rooms/${room}/periods`)).json()).toMatchObject({ room, periods: [] });
  });
});
