// docs/configuration.md's table of settings is the one the declarations in src/config.ts make.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { configurationDoc, settingsTable, withTable } from '../scripts/docs-config.js';
import { settings } from '../src/config.js';

it('has the settings table of the declarations (npm run docs:config writes it)', () => {
  const committed = readFileSync(configurationDoc, 'utf8');
  expect(committed, 'docs/configuration.md is out of date: run npm run docs:config').toBe(
    withTable(committed),
  );
  expect(committed).toContain(settingsTable());
});

it('has one row per setting, each with what is allowed and what it does', () => {
  const rows = settingsTable().split('\n').slice(2);
  expect(rows.map((row) => /^\| `(\w+)` \|/.exec(row)?.[1])).toEqual(Object.keys(settings));
  for (const row of rows) {
    const cells = row.split(/ (?<!\\)\| /);
    expect(cells, row).toHaveLength(5);
    expect(cells[3]!.trim(), row).not.toBe('');
    expect(cells[4]!.replace(/ \|$/, '').trim(), row).not.toBe('');
  }
});
