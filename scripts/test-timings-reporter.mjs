/**
 * A `node --test` reporter that writes one JSON line per finished test: file (relative to the repository),
 * name, nesting, whether it is a suite, and seconds. scripts/test-timings.ts makes the table of the slowest
 * files and tests from them. Plain JavaScript: Node loads reporters before tsx can load TypeScript, and by
 * their default export (the one default export of the repository, as Node's API wants it).
 */
import { relative, resolve } from 'node:path';

const repositoryRoot = resolve(import.meta.dirname, '..');

/** @param {AsyncIterable<{ type: string, data: any }>} source */
export default async function* timingReporter(source) {
  // A suite declared by a helper (describeBackends in test/support) names the helper's file: it belongs to
  // the test file of its tests, which finish just before it.
  let testFile;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { file, name, nesting, details } = event.data;
    if (file === undefined || details?.duration_ms === undefined) continue;
    // `.mjs`: the bundle scripts/test-build.ts made of the test file.
    const isTestFile = /\.test\.m?[jt]s$/.test(file);
    if (isTestFile) testFile = file;
    const finished = {
      file: relative(repositoryRoot, isTestFile ? file : (testFile ?? file))
        .split('\\')
        .join('/'),
      name,
      nesting,
      suite: details.type === 'suite',
      seconds: details.duration_ms / 1000,
    };
    yield `${JSON.stringify(finished)}\n`;
  }
}
