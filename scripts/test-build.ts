/**
 * The test files as JavaScript, for scripts/test.ts: each one bundled with the project's TypeScript it
 * imports, the npm packages left where they are installed, so that the test processes run without tsx.
 *
 * Why: tsx's loader runs every module a process loads (npm packages too) through hooks on another thread,
 * which made loading the server 1.9 s of wall time and 3 s of CPU in each of the hundred test processes, half
 * of the quick tier's time on these 2 cores; from a bundle it loads in 0.7 s. esbuild (already here for the
 * CLI's bundle and Vite) builds them all in a second or two, with shared chunks and source maps, so a
 * failure's stack still names the TypeScript line.
 *
 * What keeps the code's behaviour as under tsx:
 * - `import.meta.url`, `.dirname` and `.filename` are those of each TypeScript file, not of the bundle: code
 *   finds its fixtures, the portal's build and package.json next to its sources, and starts its worker
 *   threads from their `.ts` files (which register tsx themselves, as they do when the server runs from
 *   sources).
 * - npm packages are imported from the absolute path esbuild resolves from the importing file, with Node's
 *   own conditions, so each file gets the copy Node would give it (packages/server has its own tar-stream).
 * - The project's own packages (`@photon-dm/server`) are bundled from their TypeScript, as tsx loaded them.
 */
import { readFile, rm } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

export interface TestBuild {
  /** The bundle to run for each test file given (repository-relative, `/`-separated). */
  bundles: string[];
  /** The test file a bundle (repository-relative) was built from, for the reports. */
  sourceOf(bundle: string): string;
  remove(): Promise<void>;
}

/** Builds `files` (repository-relative) into a directory of this run under node_modules/.cache. */
export async function buildTestFiles(repositoryRoot: string, files: string[]): Promise<TestBuild> {
  const outdir = join(repositoryRoot, 'node_modules', '.cache', 'photon-dm-tests', String(process.pid));
  await rm(outdir, { recursive: true, force: true });
  await build({
    entryPoints: files.map((file) => join(repositoryRoot, file)),
    outbase: repositoryRoot,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    // Node's conditions, without esbuild's default `module`: the entry Node would load.
    conditions: [],
    mainFields: ['main'],
    plugins: [sourcesAsTheyAre],
    logLevel: 'warning',
  });
  const bundles = files.map((file) => join(outdir, file.replace(/\.ts$/, '.mjs')));
  return {
    bundles,
    sourceOf: (bundle) => {
      const inBuild = relative(repositoryRoot, outdir).split(sep).join('/');
      return bundle.startsWith(`${inBuild}/`)
        ? bundle.slice(inBuild.length + 1).replace(/\.mjs$/, '.ts')
        : bundle;
    },
    remove: () => rm(outdir, { recursive: true, force: true }),
  };
}

const sourcesAsTheyAre: Plugin = {
  name: 'photon-dm-sources-as-they-are',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === resolvingPackage) return undefined;
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      const resolved = await esbuild.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: resolvingPackage,
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      // A workspace package resolves (through its node_modules link) to its TypeScript: bundle it.
      if (!resolved.path.includes(`${sep}node_modules${sep}`)) return { path: resolved.path };
      return { path: resolved.path, external: true };
    });
    esbuild.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const own: Record<string, string> = {
        url: pathToFileURL(args.path).href,
        dirname: dirname(args.path),
        filename: args.path,
      };
      const contents = source.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, key: string) =>
        JSON.stringify(own[key]),
      );
      return { contents, loader: 'ts' };
    });
  },
};

const resolvingPackage = Symbol('resolving an npm package');
