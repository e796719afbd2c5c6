// Writes the settings table of docs/configuration.md from the declarations in src/config.ts
// (npm run docs:config). test/config.docs.test.ts fails when the committed table is not this one.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Setting, settings } from '../src/config.js';

export const configurationDoc = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));

const start = '<!-- settings: written by npm run docs:config from src/config.ts -->';
const end = '<!-- settings end -->';

const cell = (text: string) => text.replaceAll('|', '\\|');

function fallbackText(s: Setting<unknown>): string {
  if (s.fallbackDoc !== undefined) return s.fallbackDoc;
  if (s.fallback === undefined) return 'unset';
  return s.fallback === '' ? 'none' : `\`${s.fallback}\``;
}

/** The table: one row per setting, in the order they are declared. */
export function settingsTable(): string {
  const rows = Object.entries(settings).map(([name, s]: [string, Setting<unknown>]) => {
    const notes = [s.doc];
    if (s.formerly) notes.push(`(formerly \`${s.formerly}\`, still read)`);
    if (s.secret) notes.push('(a secret: never shown in an error)');
    return `| \`${name}\` | ${cell(fallbackText(s))} | ${s.unit ?? ''} | ${cell(s.allowed)} | ${cell(notes.join(' '))} |`;
  });
  return [
    '| variable | default | unit | allowed | what it does |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The document with its table replaced by the one the declarations make. */
export function withTable(document: string): string {
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${configurationDoc} has no ${start} ... ${end}`);
  return `${document.slice(0, from + start.length)}\n${settingsTable()}\n${document.slice(to)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(configurationDoc, withTable(readFileSync(configurationDoc, 'utf8')));
  console.log(`wrote the settings table of ${configurationDoc}`);
}
