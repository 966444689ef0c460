/**
 * How long a `dm` command takes to start, from the bundle (packages/cli/dist/dm.mjs, run while current) and
 * from the TypeScript sources through tsx, against the yardstick of a bare `node -e 0` spawned the same way,
 * interleaved in one run so a busy machine slows all three alike. The command is `dm --version`-like work:
 * `dm --help` (parses, prints, exits; no server). Prints the median and p90 of each and the ratios.
 *
 * The sources run is a shim doing what bin/dm.js does when the bundle is stale (and what it did for every
 * command before the bundle): register tsx, import packages/cli/src/main.ts.
 *
 * Usage: node --import tsx bench/cli-start.ts [--runs 30]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildCli } from '../scripts/build-cli.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const runs = Number(values.runs);
const cli = resolve(import.meta.dirname, '../packages/cli');

await buildCli();
const shim = join(mkdtempSync(join(tmpdir(), 'dm-cli-start-')), 'dm-sources.mjs');
writeFileSync(
  shim,
  `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};
register();
const { main } = await import(${JSON.stringify(pathToFileURL(join(cli, 'src/main.ts')).href)});
process.exitCode = await main(process.argv);
`,
);
const variants: Record<string, string[]> = {
  'node -e 0 (yardstick)': ['-e', '0'],
  'dm --help, bundle': [join(cli, 'bin/dm.js'), '--help'],
  // What bin/dm.js does when the bundle is stale (or was, for every command, before the bundle).
  'dm --help, sources through tsx': [shim, '--help'],
};
const times = new Map<string, number[]>(Object.keys(variants).map((name) => [name, []]));
for (let run = 0; run < runs; run++) {
  for (const [name, args] of Object.entries(variants)) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${name} failed: ${result.stderr}`);
    times.get(name)?.push(performance.now() - started);
  }
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
console.log(`# ${runs} runs each, interleaved; ${cpus().length} cores, load ${loadavg()[0]?.toFixed(2)}`);
const medians = new Map<string, number>();
for (const [name, list] of times) {
  const sorted = [...list].sort((a, b) => a - b);
  medians.set(name, quantile(sorted, 0.5));
  console.log(
    `${name.padEnd(32)} median ${quantile(sorted, 0.5).toFixed(0)} ms  p90 ${quantile(sorted, 0.9).toFixed(0)} ms`,
  );
}
const [yardstick = 1, bundle = 1, sources = 1] = [...medians.values()];
console.log(
  `bundle / yardstick ${(bundle / yardstick).toFixed(2)}; sources / yardstick ${(sources / yardstick).toFixed(2)}; sources / bundle ${(sources / bundle).toFixed(2)}`,
);
