/**
 * Bundles the `dm` command (packages/cli/src with packages/client/src) into packages/cli/dist/dm.mjs with
 * esbuild, which tsx and Vite already bring. bin/dm.js runs the bundle while it is current (a command then
 * starts in about 0.18 s instead of 0.5 s, bench/cli-start.ts; the CLI tests run hundreds) and the
 * TypeScript otherwise.
 * npm packages stay outside the bundle (resolved from node_modules as before), and so does the server,
 * which `dm serve` loads through tsx.
 *
 *   node --import tsx scripts/build-cli.ts               always build
 *   node --import tsx scripts/build-cli.ts --if-changed  only when a source is newer than the bundle
 */
import { readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { bundleIsCurrent, bundlePath } from '../packages/cli/bin/bundle.js';

const root = resolve(import.meta.dirname, '..');

function dependenciesOf(packageDirectory: string): string[] {
  const manifest = JSON.parse(readFileSync(join(root, packageDirectory, 'package.json'), 'utf8'));
  return Object.keys(manifest.dependencies ?? {});
}

/** Builds the bundle next to its place and renames it in, so a `dm` starting meanwhile never reads half. */
export async function buildCli(): Promise<void> {
  const partial = `${bundlePath}.${process.pid}.partial`;
  await build({
    entryPoints: [join(root, 'packages/cli/src/main.ts')],
    outfile: partial,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: [
      ...dependenciesOf('packages/cli'),
      ...dependenciesOf('packages/client'),
      '@photon-dm/server',
      '@photon-dm/server/*',
    ],
    logLevel: 'warning',
  });
  renameSync(partial, bundlePath);
}

/** Builds the bundle unless it is current. */
export async function buildCliIfChanged(): Promise<void> {
  if (!bundleIsCurrent()) await buildCli();
}

if (import.meta.filename === process.argv[1]) {
  if (process.argv.includes('--if-changed')) await buildCliIfChanged();
  else await buildCli();
}
