/**
 * What the workflow definition layer costs a stage, against the engine's goal of < 10 ms of overhead per
 * stage: capturing output variables through the matcher's worker thread (a message round trip) compared with
 * the same regexes run in the calling thread, the worker's cold start, and parsing + evaluating a condition
 * and substituting a command.
 *
 * Stage output is what the APS example's stages print: a few lines, two regexes. Each figure is the median
 * and the 99th percentile of --samples runs after 200 warm-up runs.
 *
 * Usage: node --import tsx bench/workflow-overhead.ts [--samples 5000]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { evaluateCondition, parseCondition } from '../packages/server/src/workflows/conditions.ts';
import {
  createOutputMatcher,
  matchOutputVariables,
  toJavaScriptRegex,
} from '../packages/server/src/workflows/output-variables.ts';
import { substituteVariables } from '../packages/server/src/workflows/variables.ts';

const { values } = parseArgs({ options: { samples: { type: 'string', default: '5000' } } });
const samples = Number(values.samples);

const stdout = 'Cluster Data Directory: /gdata/xpcs/2026-3\nInput HDF5 File: scan_0001.hdf\n20261121223344\n';
const regexes = ['Cluster Data Directory: (?P<clusterDataDir>.*)', 'Input HDF5 File: (?P<inputHdf5File>.*)'];
const variables: Record<string, string> = {
  filePath: '/data/scan_0001.mda',
  analysisMachine: 'polaris',
  id: 'x',
};
const lookup = (name: string) => variables[name];

async function measure(run: () => unknown): Promise<{ p50: number; p99: number }> {
  for (let index = 0; index < 200; index += 1) await run();
  const times: number[] = [];
  for (let index = 0; index < samples; index += 1) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return {
    p50: times[Math.floor(samples / 2)] ?? Number.NaN,
    p99: times[Math.floor(samples * 0.99)] ?? Number.NaN,
  };
}

const format = ({ p50, p99 }: { p50: number; p99: number }) =>
  `p50 ${p50.toFixed(3)} ms p99 ${p99.toFixed(3)} ms`;

const matcher = createOutputMatcher();
const coldStart = performance.now();
await matcher.capture(stdout, regexes);
const cold = performance.now() - coldStart;
const worker = await measure(() => matcher.capture(stdout, regexes));
await matcher.close();
const compiled = regexes.map(toJavaScriptRegex);
const inThread = await measure(() => matchOutputVariables(stdout, compiled));
const condition = await measure(() =>
  evaluateCondition(parseCondition('"mda" in "$filePath" and "$analysisMachine" == "polaris"'), lookup),
);
const substitution = await measure(() => substituteVariables('/bin/md5sum $filePath > /tmp/$id.out', lookup));

console.log(
  `workflow overhead (${cpus().length} cores, load ${(loadavg()[0] ?? 0).toFixed(2)}): capture in worker ${format(worker)}, ` +
    `same regexes in thread ${format(inThread)}, worker cold start ${cold.toFixed(0)} ms, ` +
    `condition parse+evaluate ${format(condition)}, command substitution ${format(substitution)}`,
);
