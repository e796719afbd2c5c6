// The READMEs and the pages in docs/ link to each other, to source files and to headings: every
// relative link must reach a file that exists and, with a #fragment, a heading of that file.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pages = [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(root, 'docs', name)),
  ...readdirSync(join(root, 'src'))
    .map((folder) => join(root, 'src', folder, 'README.md'))
    .filter((readme) => existsSync(readme)),
];

/** The text outside fenced code blocks and inline code, where links and headings are read. */
const prose = (markdown: string): string[] => {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, (code) => code.replace(/[[\]()]/g, ' '));
  });
};

interface Heading {
  level: number;
  text: string;
  /** The anchor GitHub gives it: the text as rendered, slugged, repeats numbered. */
  anchor: string;
}

const headings = (markdown: string): Heading[] => {
  const slugger = new GithubSlugger();
  let fenced = false;
  const found: Heading[] = [];
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[2]!;
    const rendered = text.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    found.push({ level: heading[1]!.length, text, anchor: slugger.slug(rendered) });
  }
  return found;
};

const anchors = (markdown: string) => new Set(headings(markdown).map((h) => h.anchor));

interface Link {
  page: string;
  line: number;
  target: string;
}

const links = (page: string): Link[] =>
  prose(readFileSync(page, 'utf8')).flatMap((text, index) =>
    [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => ({
      page,
      line: index + 1,
      target: m[1]!,
    })),
  );

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** What is wrong with a relative link, or null when it resolves. */
const brokenBecause = ({ page, target }: Link): string | null => {
  const [path = '', fragment] = target.split('#', 2);
  const file = path === '' ? page : resolve(dirname(page), decodeURIComponent(path));
  if (!existsSync(file)) return `no file ${relative(root, file)}`;
  if (fragment === undefined) return null;
  if (statSync(file).isDirectory() || !file.endsWith('.md'))
    return `#${fragment} points into ${relative(root, file)}, which has no headings`;
  return anchors(readFileSync(file, 'utf8')).has(decodeURIComponent(fragment))
    ? null
    : `no heading #${fragment} in ${relative(root, file)}`;
};

describe('links in the READMEs and docs/', () => {
  it('finds the pages and their links', () => {
    expect(pages.length).toBeGreaterThan(5);
    expect(links(join(root, 'README.md')).length).toBeGreaterThan(10);
  });

  it.each(pages.map((page) => [relative(root, page), page]))(
    'every relative link of %s reaches its file and heading',
    (_name, page) => {
      const broken = links(page)
        .filter((link) => !isExternal(link.target))
        .map((link) => ({ link, why: brokenBecause(link) }))
        .filter(({ why }) => why !== null)
        .map(
          ({ link, why }) => `${relative(root, link.page)}:${link.line} (${link.target}): ${why}`,
        );
      expect(broken).toEqual([]);
    },
  );

  it.each(
    pages
      .filter((page) => relative(root, page).startsWith('docs/'))
      .map((page) => [relative(root, page), page]),
  )('%s opens with a table of contents that lists each of its sections', (_name, page) => {
    const markdown = readFileSync(page, 'utf8');
    const sections = headings(markdown).filter((h) => h.level === 2 && h.text !== 'Contents');
    const listed = new Set(
      links(page)
        .filter((link) => link.target.startsWith('#'))
        .map((link) => link.target.slice(1)),
    );
    expect(markdown).toMatch(/^## Contents$/m);
    expect(sections.length).toBeGreaterThan(0);
    expect(sections.filter((h) => !listed.has(h.anchor)).map((h) => h.text)).toEqual([]);
  });
});
