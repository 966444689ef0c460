// Where `dm`'s bundle is and whether it is current: shared by bin/dm.js and scripts/build-cli.ts (plain JS,
// since bin/dm.js runs before anything can compile TypeScript).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The whole command (packages/cli/src with packages/client/src) in one file, built by esbuild. */
export const bundlePath = fileURLToPath(new URL('../dist/dm.mjs', import.meta.url));

/** What the bundle is built from: a change to any of them makes it stale. */
export const bundleSources = [
  fileURLToPath(new URL('../src', import.meta.url)),
  fileURLToPath(new URL('../package.json', import.meta.url)),
  fileURLToPath(new URL('../../client/src', import.meta.url)),
  fileURLToPath(new URL('../../client/package.json', import.meta.url)),
];

function newestChange(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestChange(`${path}/${name}`)), 0);
}

/** True when the bundle exists and no source changed after it was built. */
export function bundleIsCurrent() {
  if (!existsSync(bundlePath)) return false;
  const built = statSync(bundlePath).mtimeMs;
  return bundleSources.every((source) => newestChange(source) <= built);
}
