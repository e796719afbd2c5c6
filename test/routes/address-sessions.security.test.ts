// One client address cannot fill an open room when the operator caps it: with
// MAX_SESSIONS_PER_ADDRESS, a new session from an address that holds that many online sessions
// of the room is 429 too_many_sessions and counts nothing. Off by default (rule 8: many people
// share one address), and how concentrated each room is shows in the rooms list either way.
import { describe, expect, it } from 'vitest';
import { adminToken, browserAgent, countOf, openApp } from '../support/app.js';

const session = (i: number) => `sess-${String(i).padStart(8, '0')}`;
const from = (address: string) => ({ 'x-forwarded-for': address });

function beat(app: Awaited<ReturnType<typeof openApp>>['app'], address: string, body: object) {
  return app.inject({
    method: 'POST',
    url: '/v1/heartbeat',
    headers: { 'content-type': 'application/json', 'user-agent': browserAgent, ...from(address) },
    payload: JSON.stringify(body),
  });
}

async function roomsList(app: Awaited<ReturnType<typeof openApp>>['app']) {
  const res = await app.inject({
    url: '/v1/rooms',
    headers: { authorization: `Bearer ${adminToken}` },
  });
  expect(res.statusCode).toBe(200);
  return (res.json() as { rooms: { room: string; busiest_address: unknown }[] }).rooms;
}

const trusted = { TRUST_PROXY: '1', RATE_LIMIT_MAX: '100000' };

for (const redis of [false, true]) {
  describe(`sessions per client address${redis ? ', on Redis' : ''}`, () => {
    it('refuses a new session past MAX_SESSIONS_PER_ADDRESS and changes nothing else', async () => {
      const t = await openApp({ ...trusted, MAX_SESSIONS_PER_ADDRESS: '3' }, { redis });
      try {
        for (let i = 0; i < 3; i++) {
          const ok = await beat(t.app, '203.0.113.7', { room: 'launch', session: session(i) });
          expect(ok.statusCode).toBe(200);
        }
        const before = await countOf(t.app, 'launch');
        const refused = await beat(t.app, '203.0.113.7', { room: 'launch', session: session(3) });
        expect(refused.statusCode).toBe(429);
        expect(refused.json()).toEqual({
          error: {
            code: 'too_many_sessions',
            message: 'this client address already holds the most sessions it may in this room',
          },
        });
        expect(Number(refused.headers['retry-after'])).toBe(15);
        const after = await countOf(t.app, 'launch');
        expect({ ...after, at: 0 }).toEqual({ ...before, at: 0 });
        expect(after).toMatchObject({ sessions: 3, viewers: 3 });

        // Another address, another room: not held back.
        expect(
          (await beat(t.app, '198.51.100.2', { room: 'launch', session: session(4) })).statusCode,
        ).toBe(200);
        expect(
          (await beat(t.app, '203.0.113.7', { room: 'other', session: session(5) })).statusCode,
        ).toBe(200);
        expect(await countOf(t.app, 'launch')).toMatchObject({ sessions: 4 });
      } finally {
        await t.close();
      }
    });

    it('counts every session behind one address when no cap is set, and shows the concentration', async () => {
      const t = await openApp(
        { ...trusted, CONCENTRATION_MIN_SESSIONS: '4', CONCENTRATION_SHARE: '0.5' },
        { redis },
      );
      try {
        // An office behind one proxy, and two people at home.
        for (let i = 0; i < 6; i++) {
          const ok = await beat(t.app, '192.0.2.10', { room: 'all-hands', session: session(i) });
          expect(ok.statusCode).toBe(200);
        }
        await beat(t.app, '198.51.100.20', { room: 'all-hands', session: session(6) });
        await beat(t.app, '198.51.100.21', { room: 'all-hands', session: session(7) });
        for (let i = 0; i < 4; i++) {
          await beat(t.app, `198.51.100.${30 + i}`, { room: 'spread', session: session(10 + i) });
        }
        expect(await countOf(t.app, 'all-hands')).toMatchObject({ sessions: 8 });
        const rooms = await roomsList(t.app);
        expect(rooms.find((r) => r.room === 'all-hands')?.busiest_address).toEqual({
          sessions: 6,
          share: 0.75,
          concentrated: true,
        });
        expect(rooms.find((r) => r.room === 'spread')?.busiest_address).toEqual({
          sessions: 1,
          share: 0.25,
          concentrated: false,
        });
        // Never an address, in clear or hashed.
        const text = JSON.stringify(rooms);
        expect(text).not.toContain('192.0.2.10');
        expect(text).not.toMatch(/"address"/);
      } finally {
        await t.close();
      }
    });
  });
}
