/**
 * One DAQ at work: find files (finder/discovery.ts: watch hints and files still settling looked at every
 * tick, full rescans now and then as the safety net), take every file that has settled
 * (finder/settle-tracker.ts decides, as it does for the DAQ agent) through a pool of takes running apart
 * from the finding (take/take-pool.ts), and skip what the catalog already has. The catalog is the DAQ's
 * memory: after any crash a new monitor skips exactly the files already taken, so each file is taken once;
 * while it runs, it remembers what it took and asks the catalog once per file version.
 */

import { findFiles } from '../catalog/file-records.ts';
import { createGroupCommit } from '../catalog/group-commit.ts';
import { leaseMs, releaseLease } from '../claims/leases.ts';
import type { UnsavedErrors } from '../claims/unsaved-errors.ts';
import type { ServiceContext } from '../context.ts';
import { databaseFullMessage, isDatabaseFull } from '../db/errors.ts';
import { decodeJson } from '../db/profile.ts';
import type { FileRow } from '../db/tables.ts';
import { findExperimentByName } from '../experiments/lookup.ts';
import { discoveryFeeding } from '../finder/discovery.ts';
import { catalogVersion, type SettledFile, SettleTracker } from '../finder/settle-tracker.ts';
import { compileSkipPatterns } from '../finder/skip-patterns.ts';
import type { SourceFile } from '../finder/source-files.ts';
import { openDaqSource, unreadableFile } from '../sources/source-access.ts';
import { batchFileBytes, filesPerBatch } from '../take/batches.ts';
import { type TakeRequest, takeFiles } from '../take/pipeline.ts';
import { largeTakesAtOnce, type TakeOutcome, TakePool, takesAtOnce } from '../take/take-pool.ts';
import { NoSpaceError } from '../transfer/errors.ts';
import { removeLeftoverPartials } from '../transfer/partial-cleanup.ts';
import { type CopyResult, largeFileBytes } from '../transfer/verified-copy.ts';
import { type DaqRecord, renewDaq } from './records.ts';
import { daqProgressEvents, endDaqWithEvent } from './status-events.ts';

const keptErrors = 100;
/** The lease is renewed (and the error counts saved) this often; a stop by a person is seen this soon. */
const renewEveryMs = 1_000;
/** A take that found storage full is tried again after this long. */
const fullStorageRetryMs = 1_000;

export interface MonitorOptions {
  owner: string;
  /** Time between full rescans of the directory (the safety net for hints lost or never sent). */
  rescanIntervalMs: number;
  /** Time between looks at hinted and settling files: a file is taken within settle time + about this. */
  tickMs: number;
  /** Watch the directory for hints (inotify); off, only rescans find files. */
  watch: boolean;
  isStopping(): boolean;
  /** Where the lastError goes while the database cannot take it (its disk is full). */
  unsaved: UnsavedErrors;
}

export async function monitorDaq(
  context: ServiceContext,
  daq: DaqRecord,
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
  const later = (ms: number) => new Date(Date.parse(context.now()) + ms).toISOString();
  log.info({ dataDirectory: daq.data_directory }, 'DAQ monitoring');
  const progress = daqProgressEvents(context, daq);
  // A crashed predecessor may have left partial copies (removed only if no other transfer is live).
  await removeLeftoverPartials(context, experiment, { table: 'daqs', id: daq.id });
  const source = await openSourceOrEnd(context, daq, experiment.station_id, errors, options.owner);
  if (source === undefined) return;

  const fail = (path: string, error: unknown) => {
    const text = error instanceof Error ? error.message : String(error);
    errorCount++;
    lastError = `${path}: ${text}`;
    if (errors.length < keptErrors) errors.push({ path, error: text });
    log.warn({ path, err: error }, 'file not taken');
  };

  const fullMessage = `${databaseFullMessage}; the DAQ waits and takes the files when space returns`;
  const databaseFull = (error: unknown) => {
    // Logged once per episode, not once per file and tick.
    if (lastError !== fullMessage)
      log.error({ err: error }, "the database's disk is full; the DAQ resumes when space returns");
    lastError = fullMessage;
    options.unsaved.note(daq.id, fullMessage);
  };
  /** A write of the DAQ's own state that may wait for database space: the monitor keeps going meanwhile. */
  const unlessDatabaseFull = async (write: () => Promise<void>) => {
    try {
      await write();
    } catch (error) {
      if (!isDatabaseFull(error)) throw error;
      databaseFull(error);
    }
  };

  // Pacing of this loop's own ticks: a monotonic clock, unmoved by the injected one or a wall-clock step.
  let renewedAt = performance.now();
  let leaseLost = false;
  const renew = async (): Promise<boolean> => {
    renewedAt = performance.now();
    const state = { n_processing_errors: errorCount, last_error: lastError, errors: JSON.stringify(errors) };
    // False when a person stopped the DAQ or another process took it over: this monitor ends. While the
    // database's disk is full the lease cannot be renewed: the monitor goes on (its takes wait for space),
    // and the first renewal that gets through tells whether the DAQ is still its own.
    await unlessDatabaseFull(async () => {
      leaseLost = !(await renewDaq(context.db, daq.id, options.owner, state, context.now(), later(leaseMs)));
      options.unsaved.saved(daq.id);
    });
    return !leaseLost;
  };

  const groupCommit = createGroupCommit(context.db);
  const request = (file: SourceFile, path: string, existing: FileRow | undefined): TakeRequest => ({
    experiment,
    source: file.absolutePath,
    sourceRoot: source.root,
    path,
    existing,
    overwrite: daq.overwrite === 1,
    origin: { type: 'daq', id: daq.id },
    workflow: daq.workflow ? { name: daq.workflow, args: workflowArgs } : undefined,
  });
  const outcomeOf = (
    { path, version }: SettledFile<SourceFile>,
    result: PromiseSettledResult<CopyResult>,
  ): TakeOutcome => {
    if (result.status === 'fulfilled') {
      // The version copied, which may be newer than the one sighted.
      tracker.markTaken(path, result.value.size, result.value.sourceMtimeMs);
      progress.changed();
      return 'done';
    }
    if (result.reason instanceof NoSpaceError) {
      // Not this file's fault: it waits at the head of the queue until space returns.
      lastError = `storage is full, waiting for space: ${result.reason.message}`;
      log.error({ err: result.reason }, 'storage full; the DAQ resumes when space returns');
      return 'retry-later';
    }
    if (isDatabaseFull(result.reason)) {
      // The file may be in storage already: taken again, it is found identical and only cataloged.
      databaseFull(result.reason);
      return 'retry-later';
    }
    tracker.markFailed(path, version);
    fail(path, result.reason);
    return 'done';
  };
  // The files of a detector's burst, taken together: one catalog query, one batch of copies, one transaction.
  const takeBatch = async (batch: SettledFile<SourceFile>[]): Promise<TakeOutcome[]> => {
    if (options.isStopping() || leaseLost) return batch.map(() => 'done');
    // Once per file version after a start: the catalog is the memory a restarted monitor reads back.
    const records = await findFiles(
      context.db,
      experiment.id,
      batch.map((settled) => settled.path),
    );
    const outcomes: TakeOutcome[] = batch.map(() => 'done');
    const toTake: number[] = [];
    // One check as the station's account per batch: a file it may not read is reported, never taken.
    const refused = await source.unreadable(batch.map((settled) => settled.file.absolutePath));
    batch.forEach(({ file, path, version }, index) => {
      if (refused.has(file.absolutePath)) {
        tracker.markFailed(path, version);
        fail(path, unreadableFile(source.account ?? ''));
        return;
      }
      const existing = records.get(path);
      if (
        existing &&
        catalogVersion(existing.size, existing.mtime) === catalogVersion(file.size, file.mtimeMs)
      )
        tracker.markTaken(path, file.size, file.mtimeMs);
      else toTake.push(index);
    });
    const requests = toTake.map((index) => {
      const { file, path } = batch[index] as SettledFile<SourceFile>;
      return request(file, path, records.get(path));
    });
    const results = await takeFiles(context, requests, { groupCommit });
    toTake.forEach((index, position) => {
      outcomes[index] = outcomeOf(
        batch[index] as SettledFile<SourceFile>,
        results[position] as PromiseSettledResult<CopyResult>,
      );
    });
    return outcomes;
  };
  const pool = new TakePool<SourceFile>({
    limit: takesAtOnce,
    largeBytes: largeFileBytes,
    largeLimit: largeTakesAtOnce(),
    retryMs: fullStorageRetryMs,
    take: async (settled) => (await takeBatch([settled]))[0] ?? 'done',
    takeBatch,
    batchBytes: batchFileBytes,
    maxBatch: filesPerBatch,
  });
  const finder = discoveryFeeding(pool, {
    root: source.root,
    tracker,
    watch: options.watch,
    logger: log,
    onUnreadable: (message) => {
      lastError = message;
    },
  });

  try {
    let nextRescan = 0;
    while (!leaseLost) {
      if (options.isStopping()) {
        await pool.close();
        // Unreleased (the database's disk is full), the lease just expires: the next start waits that long.
        await unlessDatabaseFull(() =>
          releaseLease(context.db, 'daqs', daq.id, options.owner, context.now()),
        );
        return;
      }
      if (daq.stop_at !== null && Date.parse(context.now()) >= Date.parse(daq.stop_at)) {
        await pool.close();
        await endDaqWithEvent(context, daq, 'done');
        log.info('DAQ reached its duration');
        return;
      }
      const rescan = performance.now() >= nextRescan;
      if (rescan) nextRescan = performance.now() + options.rescanIntervalMs;
      await finder.find(rescan);
      await unlessDatabaseFull(() => progress.publishIfDue(errorCount, lastError));
      if (performance.now() - renewedAt >= renewEveryMs && !(await renew())) break;
      await new Promise((resolve) => setTimeout(resolve, options.tickMs));
    }
  } finally {
    options.unsaved.saved(daq.id);
    finder.close();
    // Another monitor may start (and clean up partial files) once this one has let go: never while a copy
    // of this one still runs.
    await pool.close();
  }
}

/**
 * The DAQ's source, rechecked as it is taken up; a directory that may no longer be read ends the DAQ as
 * failed, with the reason as its lastError.
 */
async function openSourceOrEnd(
  context: ServiceContext,
  daq: DaqRecord,
  stationId: number,
  errors: { path: string; error: string }[],
  owner: string,
): Promise<Awaited<ReturnType<typeof openDaqSource>> | undefined> {
  try {
    return await openDaqSource(context, {
      dataDirectory: daq.data_directory,
      sourceAccount: daq.source_account,
      stationId,
    });
  } catch (error) {
    const lastError = `cannot read ${daq.data_directory}: ${error instanceof Error ? error.message : error}`;
    context.logger.warn({ daqId: daq.id, err: error }, 'DAQ source refused');
    const state = {
      n_processing_errors: daq.n_processing_errors,
      last_error: lastError,
      errors: JSON.stringify(errors),
    };
    const until = new Date(Date.parse(context.now()) + leaseMs).toISOString();
    if (await renewDaq(context.db, daq.id, owner, state, context.now(), until))
      await endDaqWithEvent(context, daq, 'failed');
    return undefined;
  }
}
