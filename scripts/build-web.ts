/**
 * Builds the portal (packages/web → packages/web/dist) with Vite.
 *
 *   node --import tsx scripts/build-web.ts               always build
 *   node --import tsx scripts/build-web.ts --if-changed  only when a source is newer than the last build
 *
 * `npm start` and `npm test` use `--if-changed`, so a fresh clone gets a portal without a separate step and
 * a second start costs nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const web = join(root, 'packages/web');
const builtIndex = join(web, 'dist/index.html');
const sources = [
  join(web, 'src'),
  join(web, 'index.html'),
  join(web, 'vite.config.ts'),
  join(web, 'package.json'),
  join(root, 'packages/client/src'),
];

function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestChange(join(path, name))), 0);
}

/** True when dist is missing or older than a source. */
export function portalIsStale(): boolean {
  if (!existsSync(builtIndex)) return true;
  const built = statSync(builtIndex).mtimeMs;
  return sources.some((source) => newestChange(source) > built);
}

/** Runs `vite build`; throws with Vite's output when it fails. */
export function buildPortal(): void {
  const vite = join(root, 'node_modules/vite/bin/vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: web,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`the portal build failed:\n${result.stdout}${result.stderr}`);
}

if (import.meta.filename === process.argv[1]) {
  if (process.argv.includes('--if-changed') && !portalIsStale()) process.exit(0);
  process.stdout.write('building the portal (packages/web)…\n');
  buildPortal();
}
