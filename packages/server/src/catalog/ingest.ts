/**
 * Taking one file into an experiment: into storage (a verified copy, or a staged file a DAQ agent sent,
 * renamed into place), then its catalog record (with what the file carries). Uploads, DAQs and DAQ agents
 * all take files through here.
 */
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import type { ServiceContext } from '../context.ts';
import { recordProcessingRequest } from '../daq/store.ts';
import { decodeJson } from '../db/profile.ts';
import type { Database, FileOriginType, FileRow } from '../db/tables.ts';
import type { ExperimentRecord } from '../experiments/store.ts';
import { pathsOf } from '../storage/lifecycle.ts';
import { type FileDigest, placeStaged } from '../transfer/place-staged.ts';
import { resolveInside } from '../transfer/safe-path.ts';
import { type CopyResult, copyVerified } from '../transfer/verified-copy.ts';
import type { GroupCommit } from './group-commit.ts';
import { flattenForCatalog } from './hdf5-metadata.ts';
import { upsertFile } from './store.ts';

export interface IngestRequest {
  experiment: ExperimentRecord;
  source: string;
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
  /**
   * Shares the catalog transaction with other takes in flight (a DAQ's); without it the record commits in a
   * transaction of its own.
   */
  groupCommit?: GroupCommit | undefined;
}

// Wide modes on purpose: under the experiment's default ACL the group bits become the ACL mask, so a
// narrower mode would cut the access the ACL grants. The experiment directory itself (0700 plus named
// entries) is what keeps everyone else out.
const directoryMode = 0o770;
const fileMode = 0o660;

export async function ingestFile(context: ServiceContext, request: IngestRequest): Promise<CopyResult> {
  const started = Date.now();
  const { dataDirectory, systemDirectory } = pathsOf(context, request.experiment);
  const destination = await resolveInside(dataDirectory, request.path);
  const copy = await copyVerified({
    source: request.source,
    destination,
    onExisting: request.overwrite ? 'overwrite-keep-old' : 'skip-identical-else-refuse',
    oldVersionsDirectory: join(systemDirectory, 'old-versions', dirname(request.path)),
    directoryMode,
    fileMode,
  });
  await catalogStored(context, request, destination, {
    ...copy,
    mtime: new Date(copy.sourceMtimeMs).toISOString(),
    transferMs: Date.now() - started,
  });
  return copy;
}

/**
 * Takes a file whose verified bytes are already on the storage file system (`staged`, in the experiment's
 * system directory): renamed into place under the same rules as a copy, then cataloged.
 */
export async function ingestStaged(
  context: ServiceContext,
  request: IngestRequest & { staged: string; digest: FileDigest; mtime: string; transferMs: number | null },
): Promise<'copied' | 'identical' | 'overwritten'> {
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
  await catalogStored(context, request, destination, {
    ...request.digest,
    mtime: request.mtime,
    transferMs: request.transferMs,
  });
  return outcome;
}

/** The catalog record of a file now in storage at `destination`, with what the file carries inside. */
export async function catalogStored(
  context: ServiceContext,
  request: Omit<IngestRequest, 'overwrite'>,
  destination: string,
  file: FileDigest & { mtime: string; transferMs: number | null },
): Promise<void> {
  const content = await context.metadataReader.read(destination);
  if (content.error)
    context.logger.warn({ path: request.path, error: content.error }, 'file metadata partly unreadable');
  const record = {
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
  const existing = request.existing
    ? decodeJson<Record<string, unknown>>(context.profile, request.existing.metadata)
    : {};
  // The record, what is derived from it (metadata index, counts) and its live event commit together.
  const write = async (trx: Kysely<Database>) => {
    await upsertFile(trx, context.profile, record, existing);
    if (request.workflow)
      await recordProcessingRequest(trx, {
        experimentId: request.experiment.id,
        path: request.path,
        workflow: request.workflow.name,
        args: request.workflow.args,
        daqId: request.origin.id,
        now: record.now,
      });
    await context.events.publish(trx, {
      type: 'file.cataloged',
      experimentId: request.experiment.id,
      subjectId: request.path,
      payload: { path: request.path, size: file.size, md5: file.md5, origin: request.origin },
    });
  };
  if (request.groupCommit) await request.groupCommit.run(write);
  else await context.db.transaction().execute(write);
}
