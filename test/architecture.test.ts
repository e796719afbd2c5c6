// The import graph of src/ runs one way: each module imports only from lower layers (or from its
// own folder), never back up. docs/architecture.md describes the layers; this keeps them true.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * Layers from the bottom up. A module belongs to the group of the longest entry its path starts
 * with; it may import from a lower layer, or from its own group, and from nothing else.
 */
const layers: string[][] = [
  // Leaves: the error model, ids, bounded waits, the kinds of settings and their parsers.
  [
    'errors.ts',
    'ids.ts',
    'timeout.ts',
    'setting.ts',
    'trust-proxy.ts',
    'signing-keys.ts',
    'body-limits.ts',
  ],
  ['config.ts', 'readiness.ts'],
  ['logging.ts', 'http-timeouts.ts', 'metrics/'],
  // The two stores: presence in Redis (or in process), the archive database.
  ['presence/', 'db/'],
  // Redis to PostgreSQL: the snapshot writes the archive, its outbox and events in one transaction.
  ['archive/'],
  // Delivers what the archive wrote; never writes the archive.
  ['webhooks/'],
  ['auth/', 'plugins/'],
  ['routes/'],
  ['app.ts'],
  // Entry points.
  ['server.ts', 'db/migrate-cli.ts'],
  // Browser code, bundled on its own.
  ['client/', 'dashboard/'],
];

function groupOf(module: string): { group: string; layer: number } {
  let found: { group: string; layer: number } | null = null;
  layers.forEach((groups, layer) => {
    for (const group of groups) {
      const matches = group.endsWith('/') ? module.startsWith(group) : module === group;
      if (matches && (!found || group.length > found.group.length)) found = { group, layer };
    }
  });
  if (!found)
    throw new Error(`src/${module} belongs to no layer: add it to test/architecture.test.ts`);
  return found;
}

function modules(dir = src): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return modules(path);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [relative(src, path)] : [];
  });
}

/** Every module of src/ a module imports (type imports and dynamic imports too). */
function importsOf(module: string): string[] {
  const text = readFileSync(join(src, module), 'utf8');
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(src, resolve(dirname(join(src, module)), name)).replace(/\.js$/, '.ts'))
    .filter((target) => !target.startsWith('..'));
}

const graph = modules().map((module) => ({ module, imports: importsOf(module) }));

it('reads the imports of every module', () => {
  expect(graph.length).toBeGreaterThan(50);
  const app = graph.find((m) => m.module === 'app.ts')!;
  expect(app.imports).toContain('config.ts');
  expect(app.imports).toContain('routes/index.ts');
  expect(graph.find((m) => m.module === 'routes/health.ts')!.imports).toContain('readiness.ts');
});

it('imports only downwards, or within a folder', () => {
  const upwards = graph.flatMap(({ module, imports }) => {
    const from = groupOf(module);
    return imports
      .map((target) => ({ target, to: groupOf(target) }))
      .filter(({ to }) => to.group !== from.group && to.layer >= from.layer)
      .map(
        ({ target, to }) => `${module} (layer ${from.layer}) imports ${target} (layer ${to.layer})`,
      );
  });
  expect(upwards).toEqual([]);
});

it('finds an upward import when there is one', () => {
  // The check itself: db/ importing a route's module, as it once did for a type, is refused.
  const from = groupOf('db/plugin.ts');
  const to = groupOf('routes/health.ts');
  expect(to.layer).toBeGreaterThan(from.layer);
  expect(groupOf('webhooks/delivery.ts').layer).toBeGreaterThan(groupOf('archive/writer.ts').layer);
  expect(groupOf('routes/schemas.ts').layer).toBeGreaterThan(groupOf('plugins/errors.ts').layer);
});
