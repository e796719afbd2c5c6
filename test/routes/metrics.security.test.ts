// /metrics is for operators: the admin token, like every admin route.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openApp, type TestApp } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await openApp();
});
afterAll(() => t.close());

it('refuses a scrape without a token (401) or with a wrong one (403)', async () => {
  const none = await t.app.inject({ url: '/metrics' });
  expect(none.statusCode).toBe(401);
  expect(none.json()).toMatchObject({ error: { code: 'unauthorized' } });
  expect(none.body).not.toContain('headcount_');
  const wrong = await t.app.inject({
    url: '/metrics',
    headers: { authorization: 'Bearer not-the-admin-token-at-all' },
  });
  expect(wrong.statusCode).toBe(403);
  expect(wrong.body).not.toContain('headcount_');
});
