// The OpenAPI document at /docs/json documents what is really served, and passes Redocly's lint
// (its recommended rules) with no errors.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type TestApp } from '../support/app.js';

const run = promisify(execFile);

interface Operation {
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, unknown> }>;
}

describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, Operation>> };
  beforeAll(async () => {
    t = await openApp();
    doc = (await t.app.inject({ url: '/docs/json' })).json();
  });
  afterAll(() => t.close());

  it('passes redocly lint with no errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hc-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(doc));
      const lint = await run('npx', ['redocly', 'lint', file, '--format=json'], {
        maxBuffer: 10_000_000,
      }).catch((err: { stdout: string }) => err);
      const report = JSON.parse(lint.stdout) as {
        totals: { errors: number };
        problems: { severity: string; ruleId: string; message: string }[];
      };
      const errors = report.problems.filter((p) => p.severity === 'error');
      expect(errors.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
      expect(report.totals.errors).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('says which answers are not JSON, and that a heartbeat may be sent as text/plain', () => {
    const ok = (path: string) => Object.keys(doc.paths[path]!.get!.responses['200']!.content ?? {});
    expect(ok('/v1/rooms/{room}/badge.svg')).toEqual(['image/svg+xml']);
    expect(ok('/presence.js')).toEqual(['application/javascript']);
    expect(ok('/dashboard')).toEqual(['text/html']);
    for (const path of ['/v1/heartbeat', '/v1/leave']) {
      expect(Object.keys(doc.paths[path]!.post!.requestBody!.content).sort()).toEqual([
        'application/json',
        'text/plain',
      ]);
    }
  });
});
