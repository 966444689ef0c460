/**
 * Where a test run's time goes: the table that scripts/test.ts prints at the end of a run (the slowest files
 * and the slowest tests), so that a slow suite says where to cut. Its lines come from the reporter
 * scripts/test-timings-reporter.mjs, one JSON line per finished test.
 */
import { readFile } from 'node:fs/promises';

interface Finished {
  file: string;
  name: string;
  nesting: number;
  suite: boolean;
  seconds: number;
}

/** The table, as `#` lines (none looks like the summary's `# tests N` lines, which CI reads last). */
export async function timingTable(
  timingsFile: string,
  rows = 10,
  sourceOf: (file: string) => string = (file) => file,
): Promise<string[]> {
  const text = await readFile(timingsFile, 'utf8').catch(() => '');
  const finished = text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Finished)
    .map((test) => ({ ...test, file: sourceOf(test.file) }));
  if (finished.length === 0) return [];
  // A file's tests run one after another: its time is that of its top-level tests and suites.
  const files = new Map<string, number>();
  for (const test of finished)
    if (test.nesting === 0) files.set(test.file, (files.get(test.file) ?? 0) + test.seconds);
  const slowestFiles = [...files].sort((a, b) => b[1] - a[1]).slice(0, rows);
  const slowestTests = finished
    .filter((test) => !test.suite)
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, rows);
  const seconds = (value: number) => value.toFixed(1).padStart(7);
  return [
    `# slowest files (of ${files.size}, seconds):`,
    ...slowestFiles.map(([file, time]) => `#  ${seconds(time)}  ${file}`),
    `# slowest tests (of ${finished.filter((test) => !test.suite).length}, seconds):`,
    ...slowestTests.map((test) => `#  ${seconds(test.seconds)}  ${test.file}: ${test.name}`),
  ];
}
