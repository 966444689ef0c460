/**
 * Dependencies point one way: every import of packages/server/src goes down the layer order written in
 * docs/ARCHITECTURE.md, and neither folders nor files import each other in a circle.
 *
 * A unit is a folder of src/ (`jobs`) or a file at its top (`app.ts`). Units in one level are siblings and do
 * not import each other; a unit imports only units of lower levels (and files of its own folder). No file
 * imports another folder's store: other concepts go through a concept's services or the narrow module it
 * exports for them.
 *
 * The imports come from TypeScript's own scanner (`ts.preProcessFile`): static `import` and `import type`,
 * `export ... from`, and `import()`. Type-only imports count too: a type names a dependency as much as a call.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

/** Lowest first. Keep in step with "Layers" in docs/ARCHITECTURE.md. */
const layers: readonly (readonly string[])[] = [
  ['errors', 'version.ts'],
  ['settings'],
  ['db'],
  ['paging', 'system'],
  ['authorization', 'background.ts'],
  ['context.ts'],
  ['claims', 'http'],
  ['audit'],
  ['storage', 'auth'],
  ['users', 'secrets'],
  ['stations'],
  ['experiment-types', 'workflows'],
  ['experiments'],
  ['sites'],
  ['sources', 'events', 'transfer', 'finder', 'staging'],
  ['catalog', 'retention'],
  ['jobs'],
  ['take'],
  ['uploads'],
  ['daq'],
  ['agent-api'],
  ['daq-agent', 'usage'],
  ['health', 'metrics', 'openapi', 'portal'],
  ['app.ts'],
  ['serve.ts'],
  ['index.ts'],
];

interface Exception {
  /** Importing file and imported file, relative to src/. */
  from: string;
  to: string;
  reason: string;
}

const contextNamesWorkers =
  'ServiceContext names, as types only, the app-wide workers createApp builds and hands to every service';
const signatureWhileCopying =
  'the copy thread checks the HDF5 signature of a small file while its bytes are in memory, sparing the catalog a second read';

/** The deliberate exceptions, each with its reason. A listed import that no longer exists fails the test. */
const exceptions: readonly Exception[] = [
  { from: 'context.ts', to: 'catalog/hdf5-reader.ts', reason: contextNamesWorkers },
  { from: 'context.ts', to: 'events/hub.ts', reason: contextNamesWorkers },
  { from: 'context.ts', to: 'storage/permissions.ts', reason: contextNamesWorkers },
  { from: 'context.ts', to: 'transfer/copy-worker.ts', reason: contextNamesWorkers },
  { from: 'transfer/copy-thread.ts', to: 'catalog/hdf5-metadata.ts', reason: signatureWhileCopying },
];

/**
 * Imports of another folder's store (`store.ts`, `*-store.ts`) allowed anyway, each with its reason. A
 * concept's store holds the SQL of its own changes; other folders use the narrow module the concept exports
 * for them (`audit/record.ts`, `experiments/lookup.ts`, ...), so this list stays empty. A listed import that
 * no longer exists fails the test.
 */
const storeExceptions: readonly Exception[] = [];

const sourceRoot = resolve(import.meta.dirname, '../src');

interface Import {
  from: string;
  to: string;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    const isModule = entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts');
    return isModule && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every relative import of every source file, as paths relative to src/ with `/` separators. */
function importsOfSources(): Import[] {
  const key = (path: string) => relative(sourceRoot, path).split(sep).join('/');
  return sourceFiles(sourceRoot).flatMap((file) => {
    const scanned = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    return scanned.importedFiles
      .filter((imported) => imported.fileName.startsWith('.'))
      .map((imported) => ({ from: key(file), to: key(resolve(dirname(file), imported.fileName)) }));
  });
}

function unitOf(path: string): string {
  return path.split('/')[0] ?? path;
}

const levelOf = new Map(layers.flatMap((units, level) => units.map((unit) => [unit, level] as const)));
const imports = importsOfSources();
const isException = (edge: Import) => exceptions.some((e) => e.from === edge.from && e.to === edge.to);
const checked = imports.filter((edge) => !isException(edge));

/** Tarjan's strongly connected components with more than one member: the cycles, each listed once. */
function cycles(edges: readonly Import[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (from === to) continue;
    next.set(from, (next.get(from) ?? new Set()).add(to));
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) ?? 0);
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(target) ?? 0));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) found.push(component.sort());
  };
  for (const node of next.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('layers of the server', () => {
  it('finds the imports and resolves each to a source file', () => {
    assert.ok(imports.length > 500, `only ${imports.length} imports found: is the scanner broken?`);
    const files = new Set(sourceFiles(sourceRoot).map((f) => relative(sourceRoot, f).split(sep).join('/')));
    const unresolved = imports.filter((edge) => !files.has(edge.to) && !edge.to.endsWith('.json'));
    assert.deepEqual(unresolved, [], 'imports of files that are not TypeScript sources of src/');
  });

  it('places every folder and top-level file of src/ in the layer order', () => {
    const units = new Set(
      sourceFiles(sourceRoot).map((f) => unitOf(relative(sourceRoot, f).split(sep).join('/'))),
    );
    const unplaced = [...units].filter((unit) => !levelOf.has(unit)).sort();
    assert.deepEqual(unplaced, [], 'add these to `layers` here and to docs/ARCHITECTURE.md');
    const gone = [...levelOf.keys()].filter((unit) => !units.has(unit));
    assert.deepEqual(gone, [], 'these are in `layers` but not in src/');
  });

  it('imports only from lower layers', () => {
    const upward = checked
      .filter((edge) => unitOf(edge.from) !== unitOf(edge.to))
      .filter((edge) => (levelOf.get(unitOf(edge.to)) ?? 0) >= (levelOf.get(unitOf(edge.from)) ?? 0))
      .map((edge) => `${edge.from} -> ${edge.to}`);
    assert.deepEqual(upward, [], 'imports of a layer above the importer, or of a sibling in its layer');
  });

  it('has no cycle between folders', () => {
    const folderEdges = checked.map((edge) => ({ from: unitOf(edge.from), to: unitOf(edge.to) }));
    assert.deepEqual(cycles(folderEdges), []);
  });

  it('has no cycle between files', () => {
    assert.deepEqual(cycles(checked), []);
  });

  it('is the order docs/ARCHITECTURE.md shows, and the map there names every folder', () => {
    const architecture = readFileSync(resolve(sourceRoot, '../../../docs/ARCHITECTURE.md'), 'utf8');
    const block = /## Layers\n[\s\S]*?```\n([\s\S]*?)```/.exec(architecture)?.[1] ?? '';
    // Each line: the units of one level, comma-separated, then (after two spaces or more) what they are.
    const documented = block
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => (line.split(/\s{2,}/)[0] ?? '').split(',').map((unit) => unit.trim()));
    assert.deepEqual(documented, layers, 'the "Layers" block of docs/ARCHITECTURE.md differs from `layers`');
    const folders = [...levelOf.keys()].filter((unit) => !unit.endsWith('.ts'));
    const unmapped = folders.filter((folder) => !architecture.includes(` ${folder}/ `));
    assert.deepEqual(unmapped, [], 'folders missing from the tree of docs/ARCHITECTURE.md');
  });

  it("imports no other folder's store", () => {
    const isStore = (path: string) => /(^|-)store\.ts$/.test(path.split('/').at(-1) ?? '');
    const isStoreException = (edge: Import) =>
      storeExceptions.some((e) => e.from === edge.from && e.to === edge.to);
    const intoStores = imports
      .filter((edge) => unitOf(edge.from) !== unitOf(edge.to) && isStore(edge.to))
      .filter((edge) => !isStoreException(edge))
      .map((edge) => `${edge.from} -> ${edge.to}`);
    assert.deepEqual(intoStores, [], "import the folder's narrow module (lookup.ts, record.ts, ...) instead");
  });

  it('lists only exceptions that still happen, each with a reason', () => {
    const happens = (e: Exception) => imports.some((edge) => edge.from === e.from && edge.to === e.to);
    const stale = exceptions.filter((e) => !happens(e));
    assert.deepEqual(stale, [], 'remove these from `exceptions`: the import is gone');
    const staleStores = storeExceptions.filter((e) => !happens(e));
    assert.deepEqual(staleStores, [], 'remove these from `storeExceptions`: the import is gone');
    for (const exception of [...exceptions, ...storeExceptions])
      assert.ok(exception.reason.length > 0, `${exception.from}: no reason`);
  });
});
