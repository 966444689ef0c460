/**
 * Works through uploads in the background: claims one with a lease, takes its files into storage through
 * the verified copy (small files in batches, larger ones one by one), catalogs them, and saves its progress
 * as it goes. A process that dies
 * loses only its lease; the next claimant skips the files already cataloged, so each is taken once.
 */

import { findFiles } from '../catalog/file-records.ts';
import { createGroupCommit } from '../catalog/group-commit.ts';
import { type ClaimLoop, startClaimLoop } from '../claims/claim-loop.ts';
import { claimLeased, leaseMs, releaseLease } from '../claims/leases.ts';
import type { UnsavedErrors } from '../claims/unsaved-errors.ts';
import type { ServiceContext } from '../context.ts';
import { databaseFullMessage, isDatabaseFull } from '../db/errors.ts';
import { findExperimentByName } from '../experiments/lookup.ts';
import { listSourceFiles, type SourceFile } from '../finder/source-files.ts';
import { openUploadSource } from '../sources/source-access.ts';
import { inBatches } from '../take/batches.ts';
import { takeFiles } from '../take/pipeline.ts';
import { removeLeftoverPartials } from '../transfer/partial-cleanup.ts';
import { finishUploadWithEvent, publishUploadStatus, uploadProgressEvents } from './status-events.ts';
import * as store from './store.ts';

const saveEveryMs = 250;
const keptErrors = 100;
/** While the database's disk is full, a write is tried again this often. */
const databaseFullRetryMs = 1_000;

export function startUploadRunner(
  context: ServiceContext,
  options: { idlePollMs?: number; unsaved: UnsavedErrors },
): ClaimLoop {
  const { unsaved } = options;
  return startClaimLoop<store.UploadRecord>({
    name: 'upload',
    logger: context.logger,
    concurrency: 1,
    pollMs: options.idlePollMs,
    claim: async (owner, running) => {
      const now = context.now();
      const id = await claimLeased(context.db, 'uploads', owner, now, later(context, leaseMs), {
        running: running.map((upload) => upload.id),
        onClaimed: (trx, id, previous) => publishUploadStatus(context, trx, id, 'running', previous),
      });
      return id === undefined ? undefined : store.findUpload(context.db, id);
    },
    run: (upload, { owner, stopping }) =>
      runUpload(context, upload, { owner, unsaved, isStopping: () => stopping.aborted }).finally(() =>
        unsaved.saved(upload.id),
      ),
  });
}

function later(context: ServiceContext, ms: number): string {
  return new Date(Date.parse(context.now()) + ms).toISOString();
}

async function runUpload(
  context: ServiceContext,
  upload: store.UploadRecord,
  { owner, unsaved, isStopping }: { owner: string; unsaved: UnsavedErrors; isStopping: () => boolean },
): Promise<void> {
  const log = context.logger.child({ uploadId: upload.id, experiment: upload.experiment_name });
  const experiment = await findExperimentByName(context.db, upload.experiment_name);
  if (!experiment) return;
  const progress: store.Progress = {
    n_processed_files: 0,
    n_skipped_files: 0,
    n_processing_errors: 0,
    n_processed_bytes: 0,
    last_error: null,
    errors: '[]',
  };
  const errors: { path: string; error: string }[] = [];
  const publishProgress = uploadProgressEvents(context, upload);
  const saveOnce = async () => {
    const saved = await store.saveProgress(
      context.db,
      upload.id,
      owner,
      { ...progress, errors: JSON.stringify(errors) },
      context.now(),
      later(context, leaseMs),
    );
    unsaved.saved(upload.id);
    if (saved) await publishProgress(progress);
    return saved;
  };
  /**
   * A write the upload cannot go on without, tried again while the database's disk is full: nothing is lost
   * (the files taken are in storage, their records are written once space returns) and nothing is counted
   * as failed. The reason goes into lastError as soon as a write gets through. Undefined when stopping.
   */
  const whileDatabaseFull = async <T>(write: () => Promise<T>): Promise<T | undefined> => {
    for (;;) {
      try {
        return await write();
      } catch (error) {
        if (!isDatabaseFull(error)) throw error;
        databaseFull(error);
        if (isStopping()) return undefined;
        await new Promise((resolve) => setTimeout(resolve, databaseFullRetryMs));
      }
    }
  };
  const fullMessage = `${databaseFullMessage}; the upload waits and continues when space returns`;
  const databaseFull = (error: unknown) => {
    // Logged once per episode, not once per file and retry.
    if (progress.last_error !== fullMessage)
      log.error({ err: error }, "the database's disk is full; the upload continues when space returns");
    progress.last_error = fullMessage;
    unsaved.note(upload.id, fullMessage);
  };
  const save = async () => (await whileDatabaseFull(saveOnce)) === true;

  await removeLeftoverPartials(context, experiment, { table: 'uploads', id: upload.id });
  let files: SourceFile[];
  let source: Awaited<ReturnType<typeof openUploadSource>>;
  try {
    // The directory's real path, rechecked now; files the station's account may not read are refused below.
    source = await openUploadSource(context, {
      dataDirectory: upload.data_directory,
      sourceAccount: upload.source_account,
      stationId: experiment.station_id,
    });
    files = await listSourceFiles(source.root);
  } catch (error) {
    progress.last_error = `cannot read ${upload.data_directory}: ${message(error)}`;
    await save();
    await finishUploadWithEvent(context, upload.id, owner, 'failed');
    return;
  }
  progress.n_files = files.length;
  progress.n_bytes = files.reduce((sum, file) => sum + file.size, 0);
  if (!(await save())) return;
  log.info({ files: files.length, bytes: progress.n_bytes }, 'upload started');

  const groupCommit = createGroupCommit(context.db);
  const pathOf = (file: SourceFile) =>
    upload.dest_directory ? `${upload.dest_directory}/${file.relativePath}` : file.relativePath;
  const failed = (path: string, error: unknown) => {
    progress.n_processing_errors++;
    progress.last_error = `${path}: ${message(error)}`;
    if (errors.length < keptErrors) errors.push({ path, error: message(error) });
    log.warn({ path, err: error }, 'file not taken');
  };
  // One catalog query, one batch of copies and one transaction per run of small files. Returns the files
  // whose record could not be written because the database's disk is full: they are taken again.
  const take = async (batch: SourceFile[]): Promise<SourceFile[]> => {
    const records = await findFiles(context.db, experiment.id, batch.map(pathOf));
    const toTake = batch.filter((file) => {
      const existing = records.get(pathOf(file));
      const skip = existing !== undefined && upload.reprocess === 0 && existing.size === file.size;
      if (skip) {
        progress.n_skipped_files++;
        progress.n_processed_bytes += file.size;
      }
      return !skip;
    });
    const results = await takeFiles(
      context,
      toTake.map((file) => ({
        experiment,
        source: file.absolutePath,
        sourceRoot: source.root,
        path: pathOf(file),
        existing: records.get(pathOf(file)),
        overwrite: upload.reprocess === 1,
        origin: { type: 'upload', id: upload.id },
      })),
      { groupCommit },
    );
    const waiting: SourceFile[] = [];
    results.forEach((result, index) => {
      const file = toTake[index] as SourceFile;
      if (result.status === 'fulfilled') progress.n_processed_bytes += file.size;
      else if (isDatabaseFull(result.reason)) {
        waiting.push(file);
        databaseFull(result.reason);
      } else failed(pathOf(file), result.reason);
    });
    return waiting;
  };
  // A file copied whose record waits for space is copied again as identical (no second copy, no rewrite).
  const takeUntilRecorded = async (batch: SourceFile[]): Promise<void> => {
    let pending = batch;
    while (pending.length > 0 && !isStopping()) {
      try {
        pending = await take(pending);
      } catch (error) {
        if (!isDatabaseFull(error)) throw error;
        databaseFull(error);
      }
      if (pending.length === 0) return;
      // Tell people why nothing moves (when a small write gets through), then wait for space.
      if (!(await save())) return;
      await new Promise((resolve) => setTimeout(resolve, databaseFullRetryMs));
    }
  };

  const readable = files.filter((file) => {
    const refusal = source.refusal(file.absolutePath);
    if (refusal === undefined) return true;
    failed(pathOf(file), refusal);
    progress.n_processed_files++;
    return false;
  });
  let lastSave = performance.now();
  for (const batch of inBatches(readable, (file) => file.size)) {
    if (isStopping()) {
      // A clean stop: the next start (or another process) continues from the catalog at once (unless the
      // database's disk is full: then the lease just expires).
      await releaseLease(context.db, 'uploads', upload.id, owner, context.now()).catch((error: unknown) => {
        if (!isDatabaseFull(error)) throw error;
      });
      return;
    }
    try {
      await takeUntilRecorded(batch);
    } catch (error) {
      // The catalog or the copy worker failed for the whole batch: each file is reported.
      for (const file of batch) failed(pathOf(file), error);
    }
    if (isStopping()) continue; // released at the top of the loop; the batch is taken again by the next run
    progress.n_processed_files += batch.length;
    if (performance.now() - lastSave >= saveEveryMs) {
      lastSave = performance.now();
      // False when the upload was stopped (aborted) or taken over: stop working on it.
      if (!(await save())) return;
    }
  }
  if (!(await save())) return;
  const status = progress.n_processing_errors === 0 ? 'done' : 'failed';
  const finished = await whileDatabaseFull(async () => {
    await finishUploadWithEvent(context, upload.id, owner, status);
    return true;
  });
  if (!finished) return;
  log.info({ ...progress, errors: undefined }, 'upload finished');
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
