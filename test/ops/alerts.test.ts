// The alerting rules shipped in docs/prometheus: valid for Prometheus, unit-tested with promtool,
// and written against metrics the service really exposes.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openApp, type TestApp } from '../support/app.js';
import { hasPromtool, scrape } from '../support/metrics.js';

const folder = fileURLToPath(new URL('../../docs/prometheus/', import.meta.url));
const rules = `${folder}headcount-alerts.yml`;

const promtool = (...args: string[]) => {
  const run = spawnSync('promtool', args, { cwd: folder, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
};

let t: TestApp;
beforeAll(async () => {
  t = await openApp();
});
afterAll(() => t.close());

it.skipIf(!hasPromtool)('passes promtool check rules', () => {
  const { status, output } = promtool('check', 'rules', rules);
  expect(output).toContain('SUCCESS: 11 rules found');
  expect(status).toBe(0);
});

it.skipIf(!hasPromtool)('fires as its unit tests expect (promtool test rules)', () => {
  const { status, output } = promtool('test', 'rules', 'headcount-alerts.test.yml');
  expect(output).toContain('SUCCESS');
  expect(status).toBe(0);
});

it('uses only metrics the service exposes', async () => {
  const used = new Set(
    [...readFileSync(rules, 'utf8').matchAll(/\b(headcount_[a-z_]+|nodejs_[a-z0-9_]+)/g)].map((m) =>
      m[1]!.replace(/_(bucket|count|sum)$/, ''),
    ),
  );
  expect(used.size).toBeGreaterThan(5);
  const exposed = new Set(
    [...(await scrape(t.app)).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!),
  );
  expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
});
