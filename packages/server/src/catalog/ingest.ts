/**
 * Taking files into an experiment: into storage (verified copies, in batches for small files, or a staged
 * file a DAQ agent sent, renamed into place), then their catalog records (with what each file carries).
 * Uploads, DAQs and DAQ agents all take files through here.
 */
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import type { ServiceContext } from '../context.ts';
import { recordProcessingRequest } from '../daq/store.ts';
import { decodeJson } from '../db/profile.ts';
import type { Database, FileOriginType, FileRow } from '../db/tables.ts';
import type { NewEvent } from '../events/event-types.ts';
import type { ExperimentRecord } from '../experiments/store.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import { transferTag } from '../storage/partial-names.ts';
import type { WorkerCopied } from '../transfer/copy-worker.ts';
import { type FileDigest, placeStaged } from '../transfer/place-staged.ts';
import { resolveInside } from '../transfer/safe-path.ts';
import type { CopyResult } from '../transfer/verified-copy.ts';
import type { CatalogWrite, GroupCommit } from './group-commit.ts';
import { emptyMetadata, flattenForCatalog } from './hdf5-metadata.ts';
import { insertNewFiles, type StoredFile, upsertFile } from './store.ts';

export interface IngestRequest {
  experiment: ExperimentRecord;
  source: string;
  /**
   * The real path of the source directory the transfer was allowed to read: the copy refuses a source that
   * is, or leads through, a symbolic link out of it (transfer/copy-steps.ts, openSource).
   */
  sourceRoot?: string;
  /** POSIX path under the experiment's data directory. */
  path: string;
  /** The file's current record, if it has one: its user metadata is kept. */
  existing: FileRow | undefined;
  /** Replace a different file of the same path, keeping the old one under system/old-versions. */
  overwrite: boolean;
  origin: { type: FileOriginType; id: number };
  /**
   * The workflow of a DAQ started with `--workflow`: its processing request is written in the catalog
   * record's transaction, so a crash can never leave a file cataloged without its job.
   */
  workflow?: { name: string; args: string };
}

/**
 * Files below this size are taken in batches of up to `filesPerBatch` (one pass of fsyncs, one transaction);
 * the copy holds only a few of a batch in memory at once (transfer/small-copy.ts).
 */
export const batchFileBytes = 1024 * 1024;
export const filesPerBatch = 64;

/**
 * `items` in takes, in order: runs of up to `filesPerBatch` small files together, each larger file alone.
 *
 * @example
 * for (const batch of inBatches(files, (file) => file.size)) await ingestFiles(context, batch.map(request));
 */
export function* inBatches<T>(items: Iterable<T>, sizeOf: (item: T) => number): Generator<T[]> {
  let batch: T[] = [];
  for (const item of items) {
    if (sizeOf(item) >= batchFileBytes) {
      if (batch.length > 0) yield batch;
      batch = [];
      yield [item];
      continue;
    }
    batch.push(item);
    if (batch.length === filesPerBatch) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
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
export async function ingestFiles(
  context: ServiceContext,
  requests: readonly IngestRequest[],
  options: { groupCommit?: GroupCommit } = {},
): Promise<PromiseSettledResult<CopyResult>[]> {
  const started = Date.now();
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
      const request = requests[entry.index] as IngestRequest;
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
      const request = requests[entry.index] as IngestRequest;
      try {
        const record = await prepareRecord(context, request, entry.destination, {
          ...copy.value,
          mtime: new Date(copy.value.sourceMtimeMs).toISOString(),
          transferMs: Date.now() - started,
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

async function destinationOf(context: ServiceContext, request: IngestRequest): Promise<string> {
  return resolveInside(pathsOf(context, request.experiment).dataDirectory, request.path);
}

/**
 * Commits the records prepared (undefined where the file already failed, its result in `results`) and puts
 * each file's outcome at its index: `value` if its record was written, the write's error if not.
 */
async function commitPrepared<V>(
  context: ServiceContext,
  groupCommit: GroupCommit | undefined,
  prepared: readonly ({ index: number; value: V; record: PreparedRecord } | undefined)[],
  results: PromiseSettledResult<V>[],
): Promise<PromiseSettledResult<V>[]> {
  const ready = prepared.filter((item) => item !== undefined);
  const committed = await commitRecords(
    context,
    groupCommit,
    ready.map((item) => item.record),
  );
  ready.forEach(({ index, value }, position) => {
    const commit = committed[position] as PromiseSettledResult<void>;
    results[index] = commit.status === 'fulfilled' ? { status: 'fulfilled', value } : commit;
  });
  return results;
}

/**
 * Writes the records together, through the group commit when there is one (else in a transaction of their
 * own); if that fails, each is written alone, so one bad record does not fail the others.
 */
async function commitRecords(
  context: ServiceContext,
  groupCommit: GroupCommit | undefined,
  prepared: readonly PreparedRecord[],
): Promise<PromiseSettledResult<void>[]> {
  if (prepared.length === 0) return [];
  const run = (write: CatalogWrite) =>
    groupCommit ? groupCommit.run(write) : context.db.transaction().execute(write);
  try {
    await run((trx) => writeRecords(trx, context, prepared));
    return prepared.map(() => ({ status: 'fulfilled', value: undefined }));
  } catch (error) {
    if (prepared.length === 1) return [{ status: 'rejected', reason: error }];
    return Promise.allSettled(prepared.map((item) => run((trx) => writeRecords(trx, context, [item]))));
  }
}

/** A file whose verified bytes are already on the storage file system (`staged`, in its system directory). */
export type StagedRequest = IngestRequest & {
  staged: string;
  digest: FileDigest;
  mtime: string;
  transferMs: number | null;
};

/**
 * Takes a file whose verified bytes are already staged: renamed into place under the same rules as a copy,
 * then cataloged.
 */
export async function ingestStaged(
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
 * const results = await ingestStagedFiles(context, requests, { groupCommit });
 */
export async function ingestStagedFiles(
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
  request: Omit<IngestRequest, 'overwrite'>,
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
    request: Omit<IngestRequest, 'overwrite'>;
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

/** A file's catalog record, ready to write: what it carries read, its event built. */
interface PreparedRecord {
  request: Omit<IngestRequest, 'overwrite'>;
  record: StoredFile;
  existingMetadata: Record<string, unknown>;
  event: NewEvent;
}

/**
 * Reads what a stored file carries (outside any transaction; `hdf5: false`, from a copy that saw the whole
 * file, skips the read) and builds its record and event.
 */
async function prepareRecord(
  context: ServiceContext,
  request: Omit<IngestRequest, 'overwrite'>,
  destination: string,
  file: FileDigest & { mtime: string; transferMs: number | null; hdf5?: boolean | undefined },
): Promise<PreparedRecord> {
  const content =
    file.hdf5 === false ? emptyMetadata('unknown') : await context.metadataReader.read(destination);
  if (content.error)
    context.logger.warn({ path: request.path, error: content.error }, 'file metadata partly unreadable');
  const record: StoredFile = {
    experimentId: request.experiment.id,
    path: request.path,
    size: file.size,
    mtime: file.mtime,
    md5: file.md5,
    sha256: file.sha256,
    source: request.source,
    originType: request.origin.type,
    originId: request.origin.id,
    transferMs: file.transferMs,
    contentMetadata: flattenForCatalog(content),
    now: context.now(),
  };
  const existingMetadata = request.existing
    ? decodeJson<Record<string, unknown>>(context.profile, request.existing.metadata)
    : {};
  const event: NewEvent = {
    type: 'file.cataloged',
    experimentId: request.experiment.id,
    subjectId: request.path,
    payload: { path: request.path, size: file.size, md5: file.md5, origin: request.origin },
  };
  return { request, record, existingMetadata, event };
}

/**
 * Writes records, what is derived from them (metadata index, counts), their processing requests and live
 * events, in the caller's transaction so they commit together. Files new to the catalog go in with one
 * statement for all; the others are updated one by one. The events come last (on PostgreSQL their ordering
 * lock is held until commit).
 */
async function writeRecords(
  trx: Kysely<Database>,
  context: ServiceContext,
  prepared: readonly PreparedRecord[],
): Promise<void> {
  const fresh = prepared.filter((item) => item.request.existing === undefined).map((item) => item.record);
  const inserted = await insertNewFiles(trx, context.profile, fresh);
  for (const { record, existingMetadata } of prepared) {
    if (!inserted.has(record)) await upsertFile(trx, context.profile, record, existingMetadata);
  }
  for (const { request, record } of prepared) {
    if (request.workflow)
      await recordProcessingRequest(trx, {
        experimentId: request.experiment.id,
        path: request.path,
        workflow: request.workflow.name,
        args: request.workflow.args,
        daqId: request.origin.id,
        now: record.now,
      });
  }
  await context.events.publishAll(
    trx,
    prepared.map((item) => item.event),
  );
}
