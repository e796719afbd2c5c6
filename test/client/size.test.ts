// The browser client is loaded on every page that counts its viewers, so its size is a feature.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, type ClientFiles } from '../../src/client/build.js';

const maxGzippedBytes = 2 * 1024;
/** The element carries the client inside it: one script tag embeds both. */
const maxElementGzippedBytes = 3 * 1024;
/** The list element carries <headcount-count> and the client too: one tag for a page with both. */
const maxViewersGzippedBytes = 4 * 1024;

describe('the browser client bundle', () => {
  let outDir: string;
  let files: ClientFiles;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'headcount-client-'));
    files = await buildClient(outDir);
  });

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('stays within 2 KiB gzipped as a classic script and as a module', () => {
    for (const name of ['presence.js', 'presence.mjs'] as const) {
      const gzipped = gzipSync(files[name], { level: 9 }).length;
      expect(gzipped, `${name} gzipped`).toBeLessThanOrEqual(maxGzippedBytes);
    }
  });

  it('keeps the <headcount-count> element, client included, within 3 KiB gzipped', () => {
    const gzipped = gzipSync(files['headcount-count.js'], { level: 9 }).length;
    expect(gzipped).toBeLessThanOrEqual(maxElementGzippedBytes);
    expect(files['headcount-count.js']).toContain('"headcount-count"');
  });

  it('keeps <headcount-viewers>, with <headcount-count> and the client, within 4 KiB gzipped', () => {
    const gzipped = gzipSync(files['headcount-viewers.js'], { level: 9 }).length;
    expect(gzipped).toBeLessThanOrEqual(maxViewersGzippedBytes);
    expect(files['headcount-viewers.js']).toContain('"headcount-viewers"');
    expect(files['headcount-viewers.js']).toContain('"headcount-count"');
  });

  it('is held to the limits its README states', async () => {
    const readme = (
      await readFile(new URL('../../src/client/README.md', import.meta.url), 'utf8')
    ).replace(/\s+/g, ' ');
    const kib = (bytes: number) => `under ${bytes / 1024} KiB gzipped`;
    expect(readme).toContain(`\`presence.js\` stays ${kib(maxGzippedBytes)}`);
    expect(readme).toContain(`(\`element.ts\`, client included, ${kib(maxElementGzippedBytes)})`);
    expect(readme).toContain(`and the client, ${kib(maxViewersGzippedBytes)})`);
  });

  it('depends on nothing: no import or require left in any file', () => {
    const bundles = ['presence.js', 'presence.mjs', 'headcount-count.js', 'headcount-viewers.js'];
    for (const name of bundles as (keyof ClientFiles)[]) {
      expect(files[name]).not.toMatch(/\bimport\s*[("'{*]|\brequire\(/);
    }
  });

  it('defines the global Headcount as a classic script and exports join as a module', () => {
    expect(files['presence.js']).toMatch(/^"use strict";var Headcount=/);
    expect(files['presence.js']).not.toMatch(/\bexport\s*\{/);
    expect(files['presence.mjs']).toMatch(/export\s*\{\s*\w+ as join\s*\}/);
  });

  it('ships type declarations for join and its options', () => {
    expect(files['presence.d.ts']).toContain(
      'export declare function join(options: JoinOptions): Handle;',
    );
    expect(files['presence.d.ts']).toContain('onCount?: (count: Count) => void;');
    expect(files['presence.d.ts']).toContain('onViewers?: (list: Viewers) => void;');
  });
});
