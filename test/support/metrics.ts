// Scraping /metrics in tests: the text, checked by Prometheus' own promtool, and single samples.
import { spawnSync } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import { adminToken } from './app.js';
import { inCI } from './redis.js';

export const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
if (!hasPromtool) {
  const message = 'promtool is not installed (Debian package prometheus)';
  if (inCI) throw new Error(`${message}: the metrics format cannot be checked in CI`);
  console.warn(`\n!!! ${message}: the promtool checks are SKIPPED !!!\n`);
}

export async function scrape(app: FastifyInstance): Promise<string> {
  const response = await app.inject({
    url: '/metrics',
    headers: { authorization: `Bearer ${adminToken}` },
  });
  if (response.statusCode !== 200) throw new Error(`/metrics answered ${response.statusCode}`);
  return response.body;
}

/**
 * promtool's verdict on an exposition: its exit status (0 clean, 1 unparsable, 3 lint problems)
 * and each problem it printed.
 */
export function promtoolCheckMetrics(text: string): { status: number | null; problems: string[] } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  const problems = `${run.stdout}${run.stderr}`.split('\n').filter((line) => line.trim() !== '');
  return { status: run.status, problems };
}

/** The value of one sample (labels given must all match), 0 when the series is absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const seen = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    if (Object.entries(labels).every(([k, v]) => seen[k] === v)) {
      if (found) throw new Error(`${name} ${JSON.stringify(labels)} matches several series`);
      found = true;
      total = Number(match[3]);
    }
  }
  return total;
}
