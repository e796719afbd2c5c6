// Bad reads: a specific code for each, and nothing counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type TestApp } from '../support/app.js';

describe('bad input to the count routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openApp();
  });
  afterAll(() => t.close());

  const cases: [string, string, number, string][] = [
    ['a room id with a space', '/v1/rooms/a%20b/count', 400, 'invalid_room'],
    ['a room id over 128 characters', `/v1/rooms/${'r'.repeat(129)}/count`, 400, 'invalid_room'],
    ['no rooms list', '/v1/counts', 400, 'missing_field'],
    ['an empty rooms list', '/v1/counts?rooms=', 400, 'invalid_query'],
    ['a bad room in the list', '/v1/counts?rooms=ok,not%20ok', 400, 'invalid_room'],
    ['an empty room in the list', '/v1/counts?rooms=ok,,b', 400, 'invalid_room'],
    [
      'more than 100 rooms',
      `/v1/counts?rooms=${Array.from({ length: 101 }, (_, i) => `r${i}`).join(',')}`,
      400,
      'too_many_rooms',
    ],
  ];
  for (const [name, url, status, code] of cases) {
    it(`answers ${status} ${code} to ${name}`, async () => {
      const res = await t.app.inject({ url });
      expect(res.statusCode).toBe(status);
      expect(res.json().error.code).toBe(code);
      expect(
        (await t.app.store.listRooms({ limit: 1000, offset: 0, prefix: '', sort: 'sessions' }))
          .rooms,
      ).toEqual([]);
    });
  }
});
