/**
 * The catalog record step of the take pipeline (pipeline.ts): once a file is in storage, what it carries
 * is read (catalog/hdf5-reader.ts, outside any transaction), then its record (catalog/file-records.ts),
 * what is derived from it, its processing request (jobs/processing-request-record.ts) and its live event are
 * written in one transaction, shared through catalog/group-commit.ts with the other takes committing at the
 * same time.
 */
import type { Kysely } from 'kysely';
import { insertNewFiles, type StoredFile, upsertFile } from '../catalog/file-records.ts';
import type { CatalogWrite, GroupCommit } from '../catalog/group-commit.ts';
import { emptyMetadata, flattenForCatalog } from '../catalog/hdf5-metadata.ts';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import type { Database, FileOriginType, FileRow } from '../db/tables.ts';
import type { NewEvent } from '../events/event-types.ts';
import type { ExperimentRecord } from '../experiments/lookup.ts';
import { recordProcessingRequest } from '../jobs/processing-request-record.ts';
import type { FileDigest } from '../transfer/place-staged.ts';

/** What the catalog record of a file says about where it came from, and what it keeps. */
export interface CatalogRequest {
  experiment: ExperimentRecord;
  source: string;
  /** POSIX path under the experiment's data directory. */
  path: string;
  /** The file's current record, if it has one: its user metadata is kept. */
  existing: FileRow | undefined;
  origin: { type: FileOriginType; id: number };
  /**
   * The workflow of a DAQ started with `--workflow`: its processing request is written in the catalog
   * record's transaction, so a crash can never leave a file cataloged without its job.
   */
  workflow?: { name: string; args: string };
}

/** A file's catalog record, ready to write: what it carries read, its event built. */
export interface PreparedRecord {
  request: CatalogRequest;
  record: StoredFile;
  existingMetadata: Record<string, unknown>;
  event: NewEvent;
}

/**
 * Reads what a stored file carries (outside any transaction; `hdf5: false`, from a copy that saw the whole
 * file, skips the read) and builds its record and event.
 */
export async function prepareRecord(
  context: ServiceContext,
  request: CatalogRequest,
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
export async function writeRecords(
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

/**
 * Commits the records prepared (undefined where the file already failed, its result in `results`) and puts
 * each file's outcome at its index: `value` if its record was written, the write's error if not.
 */
export async function commitPrepared<V>(
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
