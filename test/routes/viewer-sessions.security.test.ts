// A leaked token cannot add hundreds of sessions: in a signed room one viewer holds at most
// MAX_SESSIONS_PER_VIEWER online sessions; one more is 429 too_many_sessions and counts nothing.
// Open rooms have no such cap (their viewer ids are whatever the page says).
import { describe, expect, it } from 'vitest';
import { countOf, heartbeat, openApp } from '../support/app.js';
import { claimsFor, mintHs256, secretA } from '../support/tokens.js';

const env = {
  PRESENCE_SECRET: secretA,
  SIGNED_ROOMS: 'stage-*',
  MAX_SESSIONS_PER_VIEWER: '3',
  LEAVE_GRACE_S: '1',
};
const session = (i: number) => `sess-${String(i).padStart(8, '0')}`;

for (const redis of [false, true]) {
  describe(`sessions per viewer in a signed room${redis ? ', on Redis' : ''}`, () => {
    it('refuses a viewer one session more than MAX_SESSIONS_PER_VIEWER, and frees a place when one leaves', async () => {
      const t = await openApp(env, { redis });
      try {
        const token = mintHs256(claimsFor('stage-1', 'leaked-viewer'), secretA);
        for (let i = 0; i < 3; i++) {
          const ok = await heartbeat(t.app, { room: 'stage-1', session: session(i), token });
          expect(ok.statusCode).toBe(200);
        }
        const before = await countOf(t.app, 'stage-1');
        const refused = await heartbeat(t.app, { room: 'stage-1', session: session(3), token });
        expect(refused.statusCode).toBe(429);
        expect(refused.json().error.code).toBe('too_many_sessions');
        expect(Number(refused.headers['retry-after'])).toBe(15);
        const after = await countOf(t.app, 'stage-1');
        expect({ ...after, at: 0 }).toEqual({ ...before, at: 0 });
        expect(after).toMatchObject({ sessions: 3, viewers: 1 });

        // Its own sessions keep beating; another viewer is not held back by this one.
        const other = mintHs256(claimsFor('stage-1', 'someone-else'), secretA);
        expect(
          (await heartbeat(t.app, { room: 'stage-1', session: session(9), token: other }))
            .statusCode,
        ).toBe(200);

        // A session that leaves gives its place back once its leave grace is over.
        await t.app.inject({
          method: 'POST',
          url: '/v1/leave',
          headers: { 'content-type': 'application/json' },
          payload: { room: 'stage-1', session: session(0), token },
        });
        expect(
          (await heartbeat(t.app, { room: 'stage-1', session: session(3), token })).statusCode,
        ).toBe(429);
        await new Promise((r) => setTimeout(r, 1_100));
        expect(
          (await heartbeat(t.app, { room: 'stage-1', session: session(3), token })).statusCode,
        ).toBe(200);
        expect(await countOf(t.app, 'stage-1')).toMatchObject({ sessions: 4, viewers: 2 });
      } finally {
        await t.close();
      }
    });

    it('puts no cap on one viewer in an open room', async () => {
      const t = await openApp(env, { redis });
      try {
        for (let i = 0; i < 5; i++) {
          const ok = await heartbeat(t.app, {
            room: 'lobby',
            session: session(i),
            viewer: 'same-viewer',
          });
          expect(ok.statusCode).toBe(200);
        }
        expect(await countOf(t.app, 'lobby')).toMatchObject({ sessions: 5, viewers: 1 });
      } finally {
        await t.close();
      }
    });
  });
}
