// Builds the browser client into dist/client: presence.js (classic script, global Headcount),
// presence.mjs (ES module exporting join), presence.d.ts, headcount-count.js (the
// <headcount-count> element with the client inside) and headcount-viewers.js (<headcount-viewers>
// and <headcount-count>, the client inside). Run by `npm run build:client`.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';

export const clientSource = fileURLToPath(new URL('./presence.ts', import.meta.url));
export const elementSource = fileURLToPath(new URL('./element.ts', import.meta.url));
export const viewersSource = fileURLToPath(new URL('./viewers.ts', import.meta.url));
export const defaultClientDir = fileURLToPath(new URL('../../dist/client/', import.meta.url));

/** Browsers with fetch keepalive, sendBeacon and optional chaining. */
const target = ['es2020'];

async function bundle(format: 'iife' | 'esm', entry = clientSource): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format,
    target,
    write: false,
    legalComments: 'none',
    ...(format === 'iife' && entry === clientSource ? { globalName: 'Headcount' } : {}),
  });
  return result.outputFiles[0]!.text;
}

function declarations(): string {
  let text = '';
  const program = ts.createProgram([clientSource], {
    declaration: true,
    emitDeclarationOnly: true,
    strict: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: [],
  });
  const { emitSkipped, diagnostics } = program.emit(undefined, (_name, data) => {
    text = data;
  });
  if (emitSkipped) {
    throw new Error(
      `presence.d.ts not emitted: ${diagnostics.map((d) => d.messageText).join('; ')}`,
    );
  }
  return text;
}

/** Writes by rename, so a server or test reading the directory never sees half a file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}

export interface ClientFiles {
  'presence.js': string;
  'presence.mjs': string;
  'presence.d.ts': string;
  'headcount-count.js': string;
  'headcount-viewers.js': string;
}

/** Builds the client into outDir (dist/client by default) and returns what it wrote. */
export async function buildClient(outDir = defaultClientDir): Promise<ClientFiles> {
  const [classic, module, element, viewers] = await Promise.all([
    bundle('iife'),
    bundle('esm'),
    bundle('iife', elementSource),
    bundle('iife', viewersSource),
  ]);
  const files: ClientFiles = {
    'presence.js': classic,
    'presence.mjs': module,
    'presence.d.ts': declarations(),
    'headcount-count.js': element,
    'headcount-viewers.js': viewers,
  };
  await mkdir(outDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await writeAtomically(join(outDir, name), text);
  }
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { gzipSync } = await import('node:zlib');
  const files = await buildClient();
  for (const name of ['presence.js', 'headcount-count.js', 'headcount-viewers.js'] as const) {
    const gzipped = gzipSync(files[name], { level: 9 }).length;
    console.log(`dist/client/${name}: ${files[name].length} bytes, ${gzipped} bytes gzipped`);
  }
}
