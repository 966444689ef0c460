/**
 * One DAQ at work: scan the directory, take every file that has settled (settle-tracker.ts decides, as it
 * does for the DAQ agent), skip what the catalog already has. The catalog is the DAQ's memory: after any
 * crash a new monitor skips exactly the files already taken, so each file is taken once; while it runs, it
 * remembers what it took and asks the catalog once per file version. A scan finds everything, so no watch
 * event can be lost.
 */
import { ingestFile } from '../catalog/ingest.ts';
import { findFile } from '../catalog/store.ts';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import { findExperimentByName } from '../experiments/store.ts';
import { leaseMs, releaseLease } from '../leases.ts';
import { NoSpaceError } from '../transfer/errors.ts';
import { removeLeftoverPartials } from '../transfer/partial-cleanup.ts';
import { listSourceFiles } from '../uploads/source-files.ts';
import { catalogVersion, SettleTracker } from './settle-tracker.ts';
import { compileSkipPatterns } from './skip-patterns.ts';
import { daqProgressEvents, endDaqWithEvent } from './status-events.ts';
import * as store from './store.ts';
import { takeConcurrently, takesAtOnce } from './take-concurrently.ts';

const keptErrors = 100;

export interface MonitorOptions {
  owner: string;
  /** Time between scans; a file is taken within settle time + this of its last change. */
  scanIntervalMs: number;
  isStopping(): boolean;
}

export async function monitorDaq(
  context: ServiceContext,
  daq: store.DaqRecord,
  options: MonitorOptions,
): Promise<void> {
  const log = context.logger.child({ daqId: daq.id, experiment: daq.experiment_name });
  const experiment = await findExperimentByName(context.db, daq.experiment_name);
  if (!experiment) return;
  const skip = compileSkipPatterns(decodeJson<string[]>(context.profile, daq.skip_patterns));
  const workflowArgs = JSON.stringify(decodeJson<Record<string, string>>(context.profile, daq.workflow_args));
  const startedMs = Date.parse(daq.start_time ?? daq.submitted_at);
  const tracker = new SettleTracker({
    settleMs: daq.settle_ms,
    skip,
    newerThanMs: daq.new_only === 1 ? startedMs : undefined,
    destDirectory: daq.dest_directory,
  });
  const errors = decodeJson<{ path: string; error: string }[]>(context.profile, daq.errors);
  let errorCount = daq.n_processing_errors;
  let lastError = daq.last_error;
  const later = (ms: number) => new Date(Date.now() + ms).toISOString();
  log.info({ dataDirectory: daq.data_directory }, 'DAQ monitoring');
  const progress = daqProgressEvents(context, daq);
  // A crashed predecessor may have left partial copies (removed only if no other transfer is live).
  await removeLeftoverPartials(context, experiment, { table: 'daqs', id: daq.id });

  const fail = (path: string, error: unknown) => {
    const text = error instanceof Error ? error.message : String(error);
    errorCount++;
    lastError = `${path}: ${text}`;
    if (errors.length < keptErrors) errors.push({ path, error: text });
    log.warn({ path, err: error }, 'file not taken');
  };

  let renewedAt = Date.now();
  let leaseLost = false;
  const renew = async (): Promise<boolean> => {
    renewedAt = Date.now();
    const state = { n_processing_errors: errorCount, last_error: lastError, errors: JSON.stringify(errors) };
    // False when a person stopped the DAQ or another process took it over: this monitor ends.
    leaseLost = !(await store.renewDaq(
      context.db,
      daq.id,
      options.owner,
      state,
      context.now(),
      later(leaseMs),
    ));
    return !leaseLost;
  };

  const scan = async () => {
    let files: Awaited<ReturnType<typeof listSourceFiles>>;
    try {
      files = await listSourceFiles(daq.data_directory);
    } catch (error) {
      lastError = `cannot read ${daq.data_directory}: ${error instanceof Error ? error.message : error}`;
      return;
    }
    await takeConcurrently(tracker.settled(files), takesAtOnce, async ({ file, path, version }) => {
      if (options.isStopping() || leaseLost) return false;
      // A scan taking thousands of files outlasts the lease: renew it on the way, or another monitor (and
      // its clean-up of partial files) would start while this one still copies.
      if (Date.now() - renewedAt > leaseMs / 3 && !(await renew())) return false;
      // Once per file version after a start: the catalog is the memory a restarted monitor reads back.
      const existing = await findFile(context.db, experiment.id, path);
      if (
        existing &&
        catalogVersion(existing.size, existing.mtime) === catalogVersion(file.size, file.mtimeMs)
      ) {
        tracker.markTaken(path, file.size, file.mtimeMs);
        return true;
      }
      try {
        await ingestFile(context, {
          experiment,
          source: file.absolutePath,
          path,
          existing,
          overwrite: daq.overwrite === 1,
          origin: { type: 'daq', id: daq.id },
          workflow: daq.workflow ? { name: daq.workflow, args: workflowArgs } : undefined,
        });
        tracker.markTaken(path, file.size, file.mtimeMs);
        progress.changed();
      } catch (error) {
        if (error instanceof NoSpaceError) {
          // Not this file's fault: keep it for the next scan, which will succeed once space returns.
          lastError = `storage is full, waiting for space: ${error.message}`;
          log.error({ err: error }, 'storage full; the DAQ resumes when space returns');
          return false;
        }
        tracker.markFailed(path, version);
        fail(path, error);
      }
      return true;
    });
  };

  while (true) {
    if (options.isStopping()) {
      await releaseLease(context.db, 'daqs', daq.id, options.owner, context.now());
      return;
    }
    if (daq.stop_at !== null && Date.now() >= Date.parse(daq.stop_at)) {
      await endDaqWithEvent(context, daq, 'done');
      log.info('DAQ reached its duration');
      return;
    }
    await scan();
    if (leaseLost) return;
    await progress.publishIfDue(errorCount, lastError);
    if (!(await renew())) return;
    await new Promise((resolve) => setTimeout(resolve, options.scanIntervalMs));
  }
}
