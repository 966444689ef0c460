/**
 * The portal's bundle: builds it with Vite into a temporary directory (with a manifest), then reports what a
 * browser loads before any route (index.html and the JS and CSS it pulls in, transitively, through static
 * imports) and what each route's lazy chunk adds: raw, gzip (level 6, what a reverse proxy typically uses)
 * and brotli (quality 11: the `.br` copies the build writes and the api role sends to browsers that accept
 * them; index.html and files under 1 kB go uncompressed, and are counted raw here).
 *
 * Usage: node --import tsx bench/portal-bundle.ts [--json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  css?: string[];
}
type Manifest = Record<string, ManifestChunk>;

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
const root = resolve(import.meta.dirname, '..');
const web = join(root, 'packages/web');
const outDir = mkdtempSync(join(tmpdir(), 'dm-portal-bundle-'));

function build(): Manifest {
  const vite = join(root, 'node_modules/vite/bin/vite.js');
  const args = [vite, 'build', '--logLevel', 'warn', '--manifest', '--outDir', outDir, '--emptyOutDir'];
  const result = spawnSync(process.execPath, args, { cwd: web, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`the portal build failed:\n${result.stdout}${result.stderr}`);
  return JSON.parse(readFileSync(join(outDir, '.vite/manifest.json'), 'utf8')) as Manifest;
}

/** Files (JS and CSS) a chunk needs before it runs: itself, its static imports, their CSS. */
function closure(manifest: Manifest, key: string, into = new Set<string>()): Set<string> {
  const chunk = manifest[key];
  if (!chunk || into.has(chunk.file)) return into;
  into.add(chunk.file);
  for (const css of chunk.css ?? []) into.add(css);
  for (const imported of chunk.imports ?? []) closure(manifest, imported, into);
  return into;
}

function size(files: Iterable<string>): { raw: number; gzip: number; brotli: number; files: number } {
  let raw = 0;
  let gzip = 0;
  let brotli = 0;
  let count = 0;
  for (const file of files) {
    const bytes = readFileSync(join(outDir, file));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 6 }).length;
    brotli +=
      file === 'index.html' || bytes.length < 1024
        ? bytes.length
        : brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    count++;
  }
  return { raw, gzip, brotli, files: count };
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

try {
  const manifest = build();
  const entryKey = Object.keys(manifest).find((key) => manifest[key]?.isEntry);
  if (!entryKey) throw new Error('no entry chunk in the manifest');
  const firstLoad = closure(manifest, entryKey);
  const first = size(['index.html', ...firstLoad]);
  const routes = Object.entries(manifest)
    .filter(([, chunk]) => chunk.isDynamicEntry)
    .map(([key, chunk]) => {
      const added = [...closure(manifest, key)].filter((file) => !firstLoad.has(file));
      return { route: key.replace(/^src\//, ''), chunk: chunk.file, ...size(added) };
    })
    .sort((a, b) => b.raw - a.raw);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ firstLoad: first, routes }, null, 2)}\n`);
  } else {
    const routeText = routes
      .map((r) => `${r.route} +${kB(r.raw)} (${kB(r.gzip)} gz, ${kB(r.brotli)} br)`)
      .join(', ');
    process.stdout.write(
      `portal first load: ${kB(first.raw)} raw, ${kB(first.gzip)} gzip, ${kB(first.brotli)} brotli in ` +
        `${first.files} files; routes: ${routeText}\n`,
    );
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
