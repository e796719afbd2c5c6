// Builds the dashboard into dist/client: dashboard.html, dashboard.js (bundled, minified) and
// dashboard.css. uPlot itself is served from node_modules by the dashboard route.
import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const source = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
const defaultOutDir = fileURLToPath(new URL('../../dist/client/', import.meta.url));

/** The bundled file, and the source files it was made of (relative to the working directory). */
export async function bundle(entry: string): Promise<{ text: string; inputs: string[] }> {
  const result = await build({
    entryPoints: [source(entry)],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    write: false,
    legalComments: 'none',
    metafile: true,
  });
  return { text: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) };
}

/** Writes by rename, so a server reading the directory never sees half a file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}

export async function buildDashboard(outDir = defaultOutDir): Promise<void> {
  const [script, style] = await Promise.all([bundle('dashboard.ts'), bundle('dashboard.css')]);
  await mkdir(outDir, { recursive: true });
  await writeAtomically(join(outDir, 'dashboard.js'), script.text);
  await writeAtomically(join(outDir, 'dashboard.css'), style.text);
  const page = join(outDir, `dashboard.html.${process.pid}.tmp`);
  await copyFile(source('index.html'), page);
  await rename(page, join(outDir, 'dashboard.html'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildDashboard();
  console.log('dist/client/dashboard.{html,js,css}');
}
