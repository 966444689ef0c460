/**
 * The age-based sweep of interrupted transfers' leftovers over a large storage tree: how long one pass takes
 * and how much it delays everything else the api process does meanwhile (the event loop's delay, sampled
 * every 10 ms while the pass runs).
 *
 * A real app on SQLite in a temp directory gets --experiments experiments through its API, each with
 * --files empty files spread over 20 directories of `data/`, one in a thousand a temp file two hours old
 * (what the pass removes). Empty files: a walk reads names, never contents. The tree was just written, so its
 * directories are in the page cache: a cold pass on a busy storage server is slower, bounded by its metadata
 * reads. Prints one line per pass (the first pass removes, the second only walks).
 *
 * Usage: node --import tsx bench/partial-sweep.ts [--experiments 100 --files 2000]
 */
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createTestApp } from '../packages/server/test/support/test-app.ts';

const { values } = parseArgs({
  options: {
    experiments: { type: 'string', default: '100' },
    files: { type: 'string', default: '2000' },
  },
});
const experimentCount = Number(values.experiments);
const filesPerExperiment = Number(values.files);
const directories = 20;

const t = await createTestApp('sqlite', {}, { partialSweep: { firstPassDelayMs: 24 * 3_600_000 } });
try {
  await t.station('8-ID-I');
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
  let stale = 0;
  const builtMs = Date.now();
  for (let e = 0; e < experimentCount; e++) {
    const experiment = await t.experiment(`sweep-${e}`, '8-ID-I');
    for (let d = 0; d < directories; d++)
      await mkdir(join(experiment.dataDirectory, `scan-${d}`), { recursive: true });
    for (let f = 0; f < filesPerExperiment; f += 100) {
      const batch = [];
      for (let i = f; i < Math.min(f + 100, filesPerExperiment); i++) {
        const directory = join(experiment.dataDirectory, `scan-${i % directories}`);
        if (i % 1000 === 999) {
          const path = join(directory, `.frame_${i}.h5.dm-partial-${String(i).padStart(12, '0')}`);
          batch.push(writeFile(path, '').then(() => utimes(path, twoHoursAgo, twoHoursAgo)));
          stale++;
        } else batch.push(writeFile(join(directory, `frame_${i}.h5`), ''));
      }
      await Promise.all(batch);
    }
  }
  const total = experimentCount * filesPerExperiment;
  console.error(`built ${total} files in ${((Date.now() - builtMs) / 1000).toFixed(0)} s; ${stale} stale`);

  for (const pass of ['first', 'second']) {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const startedMs = performance.now();
    const report = await t.app.partialSweep.runNow();
    const seconds = (performance.now() - startedMs) / 1000;
    delay.disable();
    console.log(
      `partial sweep (${pass} pass): ${experimentCount} experiments, ${total} files, removed ` +
        `${report.partialFiles} in ${seconds.toFixed(2)} s (${Math.round(total / seconds)} files/s); ` +
        `event loop delay (10 ms timer) min ${(delay.min / 1e6).toFixed(1)}, ` +
        `p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ` +
        `${(delay.max / 1e6).toFixed(1)} ms; ${cpus().length} cores, load ${loadavg()[0]?.toFixed(2)}`,
    );
  }
} finally {
  await t.close();
}
