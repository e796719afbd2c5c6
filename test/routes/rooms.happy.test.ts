// GET /v1/rooms at scale: 10 000 active rooms, one page at a time, searched by prefix and sorted,
// pages that never overlap or skip a room.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, openApp, type TestApp } from '../support/app.js';

interface Listed {
  rooms: { room: string; sessions: number; viewers: number }[];
  total: number;
}

const roomCount = 10_000;
const roomId = (i: number) => `hall-${String(i).padStart(5, '0')}`;

describe('GET /v1/rooms with 10 000 active rooms', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp();
    // Room i has 1 + i % 3 sessions, each its own viewer.
    for (let i = 0; i < roomCount; i++) {
      for (let s = 0; s <= i % 3; s++) {
        const outcome = await t.app.store.heartbeat({
          room: roomId(i),
          session: `hall-session-${i}-${s}`,
          state: 'visible',
        });
        expect(outcome.accepted).toBe(true);
      }
    }
  }, 120_000);
  afterAll(() => t.close());

  const list = async (query: string) => {
    const res = await t.app.inject({
      url: `/v1/rooms?${query}`,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.statusCode).toBe(200);
    return res.json() as Listed;
  };

  it('sends one page, largest first, with the number of active rooms', async () => {
    const started = performance.now();
    const page = await list('limit=25');
    const ms = performance.now() - started;
    expect(page.total).toBe(roomCount);
    expect(page.rooms).toHaveLength(25);
    expect(page.rooms.every((r) => r.sessions === 3)).toBe(true);
    expect(page.rooms.map((r) => r.room)).toEqual(
      Array.from({ length: 25 }, (_, k) => roomId(2 + 3 * k)),
    );
    console.info(`GET /v1/rooms?limit=25 over ${roomCount} active rooms: ${ms.toFixed(0)} ms`);
  });

  it('finds rooms by id prefix, and pages through them without overlap', async () => {
    const first = await list('prefix=hall-012&sort=room&limit=40');
    expect(first.total).toBe(100);
    const second = await list('prefix=hall-012&sort=room&limit=40&offset=40');
    const third = await list('prefix=hall-012&sort=room&limit=40&offset=80');
    const seen = [...first.rooms, ...second.rooms, ...third.rooms].map((r) => r.room);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, k) => roomId(1200 + k)));
    expect((await list('prefix=nobody-&limit=10')).total).toBe(0);
  });

  it('sorts by viewers, ties by room id', async () => {
    // 3333 rooms have three viewers (i % 3 === 2): the last of them, then the first with two.
    const page = await list('sort=viewers&limit=3&offset=3332');
    expect(page.rooms.map((r) => [r.room, r.viewers])).toEqual([
      [roomId(9998), 3],
      [roomId(1), 2],
      [roomId(4), 2],
    ]);
  });

  it('refuses a prefix that no room id could have, in the error shape', async () => {
    const res = await t.app.inject({
      url: '/v1/rooms?prefix=no%20spaces',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_query');
  });
});
