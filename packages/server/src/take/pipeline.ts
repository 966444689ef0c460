/**
 * The take pipeline: the one path by which a file enters storage and the catalog. DAQs (daq/monitor.ts),
 * DAQ agents (daq-agent/ on the beamline host, agent-api/ here) and uploads (uploads/runner.ts) all take
 * their files through the functions below; archive restores and detector streams are to enter here too.
 * A file's steps, in order:
 *
 * 1. find: finder/discovery.ts (rescans, and watch hints from finder/directory-watcher.ts) lists the
 *    monitored tree with finder/source-files.ts; an upload lists its directory once.
 * 2. settle: finder/settle-tracker.ts offers a file once it has not changed for the settle time and is
 *    neither taken nor skipped (finder/skip-patterns.ts).
 * 3. take: take/take-pool.ts queues each path once and runs a few takes at once, small files together
 *    (take/batches.ts); a take calls `takeFiles` here.
 * 4. copy and verify: transfer/copy-worker.ts → transfer/copy-thread.ts (a worker thread) →
 *    transfer/verified-copy.ts (temp name, MD5 + SHA-256, read back, rename; the steps in
 *    transfer/copy-steps.ts, small files staged and made durable together by transfer/small-copy.ts).
 *    A file a DAQ agent sent waits in staging/ and is verified and renamed into place by
 *    transfer/place-staged.ts (`takeStaged`); one it copied into mounted storage itself is only cataloged
 *    (`catalogStored`).
 * 5. catalog record: take/catalog-record.ts reads what the file carries and writes its record and event,
 *    in one transaction shared through catalog/group-commit.ts.
 * 6. request processing: in that same transaction, jobs/processing-request-record.ts records the DAQ's
 *    workflow for the file; jobs/processing-requests.ts turns it into a job.
 */
import { dirname, join } from 'node:path';
import type { GroupCommit } from '../catalog/group-commit.ts';
import type { ServiceContext } from '../context.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import { transferTag } from '../storage/partial-names.ts';
import type { WorkerCopied } from '../transfer/copy-worker.ts';
import { type FileDigest, placeStaged } from '../transfer/place-staged.ts';
import { resolveInside } from '../transfer/safe-path.ts';
import type { CopyResult } from '../transfer/verified-copy.ts';
import { type CatalogRequest, commitPrepared, prepareRecord, writeRecords } from './catalog-record.ts';

export interface TakeRequest extends CatalogRequest {
  /**
   * The real path of the source directory the transfer was allowed to read: the copy refuses a source that
   * is, or leads through, a symbolic link out of it (transfer/copy-steps.ts, openSource).
   */
  sourceRoot?: string;
  /** Replace a different file of the same path, keeping the old one under system/old-versions. */
  overwrite: boolean;
}

// Wide modes on purpose: under the experiment's default ACL the group bits become the ACL mask, so a
// narrower mode would cut the access the ACL grants. The experiment directory itself (0700 plus named
// entries) is what keeps everyone else out.
const directoryMode = 0o770;
const fileMode = 0o660;

/**
 * Takes many files at once, as a DAQ does with the files a detector wrote since its last look: copied
 * together in the copy worker (`copyVerifiedBatch`: their fsyncs overlap, each directory is fsynced once), then
 * cataloged in one transaction, shared through `groupCommit` with the other batches of the same DAQ or upload
 * that commit at the same time. One result per request, in order; a file's failure is its own.
 */
export async function takeFiles(
  context: ServiceContext,
  requests: readonly TakeRequest[],
  options: { groupCommit?: GroupCommit } = {},
): Promise<PromiseSettledResult<CopyResult>[]> {
  const started = performance.now();
  const results: PromiseSettledResult<CopyResult>[] = [];
  const copying: { index: number; destination: string }[] = [];
  for (const [index, request] of requests.entries()) {
    try {
      copying.push({ index, destination: await destinationOf(context, request) });
    } catch (reason) {
      results[index] = { status: 'rejected', reason };
    }
  }
  const copies = await context.copyWorker.copyBatch(
    copying.map((entry) => {
      const request = requests[entry.index] as TakeRequest;
      const { systemDirectory } = pathsOf(context, request.experiment);
      return {
        source: request.source,
        sourceRoot: request.sourceRoot,
        destination: entry.destination,
        onExisting: request.overwrite ? 'overwrite-keep-old' : 'skip-identical-else-refuse',
        oldVersionsDirectory: join(systemDirectory, 'old-versions', dirname(request.path)),
        directoryMode,
        fileMode,
        // A resumed upload or DAQ removes its own leftovers by this tag (transfer/partial-cleanup.ts).
        partialTag:
          request.origin.type === 'manual' ? undefined : transferTag(request.origin.type, request.origin.id),
      };
    }),
  );
  const prepared = await Promise.all(
    copying.map(async (entry, position) => {
      const copy = copies[position] as PromiseSettledResult<WorkerCopied>;
      if (copy.status === 'rejected') {
        results[entry.index] = copy;
        return undefined;
      }
      const request = requests[entry.index] as TakeRequest;
      try {
        const record = await prepareRecord(context, request, entry.destination, {
          ...copy.value,
          mtime: new Date(copy.value.sourceMtimeMs).toISOString(),
          transferMs: Math.round(performance.now() - started),
          // A small file was looked at in memory: one that is not HDF5 is never opened again for metadata.
          hdf5: copy.value.hdf5Signature,
        });
        return { index: entry.index, value: copy.value, record };
      } catch (reason) {
        results[entry.index] = { status: 'rejected', reason };
        return undefined;
      }
    }),
  );
  return commitPrepared(context, options.groupCommit, prepared, results);
}

async function destinationOf(context: ServiceContext, request: TakeRequest): Promise<string> {
  return resolveInside(pathsOf(context, request.experiment).dataDirectory, request.path);
}

/** A file whose verified bytes are already on the storage file system (`staged`, in its system directory). */
export type StagedRequest = TakeRequest & {
  staged: string;
  digest: FileDigest;
  mtime: string;
  transferMs: number | null;
};

/**
 * Takes a file whose verified bytes are already staged: renamed into place under the same rules as a copy,
 * then cataloged.
 */
export async function takeStaged(
  context: ServiceContext,
  request: StagedRequest,
): Promise<'copied' | 'identical' | 'overwritten'> {
  const { destination, outcome } = await placeStagedRequest(context, request);
  await catalogStored(context, request, destination, {
    ...request.digest,
    mtime: request.mtime,
    transferMs: request.transferMs,
  });
  return outcome;
}

/**
 * Takes many staged files at once, as a DAQ agent's batch of small files: each renamed into place, then all
 * cataloged in one transaction shared through `groupCommit`. One result per request, in order; a file's
 * failure is its own.
 *
 * @example
 * const results = await takeStagedFiles(context, requests, { groupCommit });
 */
export async function takeStagedFiles(
  context: ServiceContext,
  requests: readonly StagedRequest[],
  options: { groupCommit?: GroupCommit } = {},
): Promise<PromiseSettledResult<'copied' | 'identical' | 'overwritten'>[]> {
  const results: PromiseSettledResult<'copied' | 'identical' | 'overwritten'>[] = [];
  const prepared = await Promise.all(
    requests.map(async (request, index) => {
      try {
        const { destination, outcome } = await placeStagedRequest(context, request);
        const record = await prepareRecord(context, request, destination, {
          ...request.digest,
          mtime: request.mtime,
          transferMs: request.transferMs,
        });
        return { index, value: outcome, record };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
        return undefined;
      }
    }),
  );
  return commitPrepared(context, options.groupCommit, prepared, results);
}

async function placeStagedRequest(context: ServiceContext, request: StagedRequest) {
  const { dataDirectory, systemDirectory } = pathsOf(context, request.experiment);
  const destination = await resolveInside(dataDirectory, request.path);
  const outcome = await placeStaged({
    staged: request.staged,
    destination,
    digest: request.digest,
    onExisting: request.overwrite ? 'overwrite-keep-old' : 'skip-identical-else-refuse',
    oldVersionsDirectory: join(systemDirectory, 'old-versions', dirname(request.path)),
    directoryMode,
  });
  return { destination, outcome };
}

/** The catalog record of a file now in storage at `destination`, with what the file carries inside. */
export async function catalogStored(
  context: ServiceContext,
  request: CatalogRequest,
  destination: string,
  file: FileDigest & { mtime: string; transferMs: number | null },
): Promise<void> {
  const prepared = await prepareRecord(context, request, destination, file);
  await context.db.transaction().execute((trx) => writeRecords(trx, context, [prepared]));
}

/**
 * `catalogStored` for many files at once (a DAQ agent's direct copies): their records written in one
 * transaction shared through `groupCommit`; one result per item, in order, a file's failure its own.
 */
export async function catalogStoredFiles(
  context: ServiceContext,
  items: readonly {
    request: CatalogRequest;
    destination: string;
    file: FileDigest & { mtime: string; transferMs: number | null };
  }[],
  options: { groupCommit?: GroupCommit } = {},
): Promise<PromiseSettledResult<void>[]> {
  const results: PromiseSettledResult<void>[] = [];
  const prepared = await Promise.all(
    items.map(async (item, index) => {
      try {
        const record = await prepareRecord(context, item.request, item.destination, item.file);
        return { index, value: undefined, record };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
        return undefined;
      }
    }),
  );
  return commitPrepared(context, options.groupCommit, prepared, results);
}
