/**
 * The steps of taking a DAQ agent's file, shared by the single-file calls (service.ts) and the batches
 * (batches.ts): where a file goes in the experiment, its staging (bytes held of a version), the checks
 * of staged or directly copied bytes against the agent's checksums, and the requests that catalog them.
 */

import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ServiceContext } from '../context.ts';
import type * as daqRecords from '../daq/records.ts';
import { decodeJson } from '../db/profile.ts';
import type { DaqStagingRow, FileRow } from '../db/tables.ts';
import { AppError, invalidField } from '../errors/app-error.ts';
import { defined } from '../errors/defined.ts';
import { isCode } from '../errors/error-code.ts';
import type { ExperimentRecord } from '../experiments/lookup.ts';
import { stagingPath } from '../staging/files.ts';
import * as stagingRows from '../staging/rows.ts';
import type { StagingWriter } from '../staging/writer.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import type { StagedRequest } from '../take/pipeline.ts';
import { DestinationConflictError, NoSpaceError, PathOutsideRootError } from '../transfer/errors.ts';
import { digestFile, type FileDigest, syncFile } from '../transfer/place-staged.ts';
import { checkRelativePath, resolveInside } from '../transfer/safe-path.ts';
import type { ChecksumsBody, FileVersionBody, TakenResponse } from './schemas.ts';

export interface Leased {
  daq: daqRecords.DaqRecord;
  experiment: ExperimentRecord;
}

/** A file the agent copied into storage, verified, ready to catalog. */
export interface Copied {
  path: string;
  source: string;
  destination: string;
  file: FileDigest & { mtime: string; transferMs: null };
}

/** A sent file whose staged bytes match the agent's checksums, durable, ready to be put in place. */
export interface Staged {
  path: string;
  source: string;
  version: stagingRows.FileVersion;
  row: DaqStagingRow;
  file: string;
  digest: FileDigest;
}

/** The steps, over the app's staging writer (one per app, shared with the single-file calls). */
export function createAgentFiles(context: ServiceContext, writer: StagingWriter) {
  const { db } = context;

  /** The file's path in the experiment, refusing any that would leave the DAQ's destination. */
  async function placeOf({ daq, experiment }: Leased, relativePath: string) {
    const path = daq.dest_directory ? `${daq.dest_directory}/${relativePath}` : relativePath;
    try {
      // An absolute or `..` relativePath is refused here too: it makes an absolute path or a `..` segment.
      const destination = await resolveInside(pathsOf(context, experiment).dataDirectory, path);
      return { path, destination, source: posix.join(daq.data_directory, relativePath) };
    } catch (error) {
      if (error instanceof PathOutsideRootError) throw invalidField('relativePath', error.message);
      throw error;
    }
  }

  /**
   * `placeOf` without its walk on disk, for a file already offered: a staging row exists only for a path
   * the offer's `placeOf` let through, the bytes go to staging, and the rename into place resolves again.
   */
  async function stagedPlaceOf({ daq, experiment }: Leased, relativePath: string) {
    const path = daq.dest_directory ? `${daq.dest_directory}/${relativePath}` : relativePath;
    try {
      checkRelativePath(pathsOf(context, experiment).dataDirectory, path);
    } catch (error) {
      if (error instanceof PathOutsideRootError) throw invalidField('relativePath', error.message);
      throw error;
    }
    return { path, source: posix.join(daq.data_directory, relativePath) };
  }

  const versionOf = (daqId: number, path: string, body: Pick<FileVersionBody, 'size' | 'mtime'>) => ({
    daqId,
    path,
    size: body.size,
    mtime: new Date(body.mtime).toISOString(),
  });

  const workflowOf = (daq: Leased['daq']) =>
    daq.workflow
      ? {
          name: daq.workflow,
          args: JSON.stringify(decodeJson<Record<string, string>>(context.profile, daq.workflow_args)),
        }
      : undefined;

  /**
   * The staging of versions the catalog lacks, by path: rows made if new (together, in one statement), the
   * bytes of other versions of the same paths dropped; the bytes held of each.
   */
  async function stageMany(leasedDaq: Leased, versions: readonly stagingRows.FileVersion[]) {
    const { experiment, daq } = leasedDaq;
    const { rows, stale } = await stagingRows.ensureStagings(db, daq.id, versions, context.now());
    for (const old of stale) await writer.discard(stagingPath(context, experiment, daq.id, old.id), old.id);
    await stagingRows.deleteStaging(
      db,
      stale.map((old) => old.id),
    );
    const held = await Promise.all(
      [...rows.values()].map(async (row) => {
        const bytes = await writer.held(stagingPath(context, experiment, daq.id, row.id), row.id);
        return [row.path, bytes] as const;
      }),
    );
    return new Map(held);
  }

  /** `stageMany` for one version: the bytes held of it. */
  async function stage(leasedDaq: Leased, version: stagingRows.FileVersion): Promise<number> {
    return defined(
      (await stageMany(leasedDaq, [version])).get(version.path),
      `the bytes held of ${version.path}`,
    );
  }

  /**
   * The staged bytes of a sent file, checked against the agent's checksums (a mismatch discards them) and
   * made durable; a clear error when they are missing, short or wrong.
   */
  async function verifyStaged(leasedDaq: Leased, body: Omit<ChecksumsBody, 'owner'>): Promise<Staged> {
    const id = leasedDaq.daq.id;
    const { path, source } = await stagedPlaceOf(leasedDaq, body.relativePath);
    const version = versionOf(id, path, body);
    const row = await stagingRows.findStaging(db, version);
    if (!row) throw new AppError('staging_mismatch', `offer and send ${path} first`, { held: 0 });
    const file = stagingPath(context, leasedDaq.experiment, id, row.id);
    if (body.size === 0) await writer.ensureEmpty(file, row.id);
    const held = await writer.held(file, row.id);
    if (held !== body.size)
      throw new AppError('staging_mismatch', `${path}: ${held} of ${body.size} bytes held`, { held });
    const digest = await digestFile(file, { md5: true, expectedSize: body.size }).catch((error: unknown) => {
      // A commit sent twice: the first one took the file (and its staging row goes next).
      if (!isCode(error, 'ENOENT')) throw error;
      throw new AppError('staging_mismatch', `${path}: nothing held`, { held: 0 });
    });
    if (digest.sha256 !== body.sha256 || digest.md5 !== body.md5) {
      await writer.discard(file, row.id);
      await stagingRows.deleteStaging(db, [row.id]);
      throw new AppError('checksum_mismatch', `${path}: the bytes received do not match the checksums sent`, {
        path,
        expectedSha256: body.sha256,
        actualSha256: digest.sha256,
      });
    }
    await syncFile(file);
    return { path, source, version, row, file, digest };
  }

  const stagedRequest = async (
    { daq, experiment }: Leased,
    staged: Staged,
    existing: FileRow | undefined,
  ): Promise<StagedRequest> => ({
    experiment,
    source: staged.source,
    path: staged.path,
    existing,
    overwrite: daq.overwrite === 1,
    origin: { type: 'daq', id: daq.id },
    workflow: workflowOf(daq),
    staged: staged.file,
    digest: staged.digest,
    mtime: staged.version.mtime,
    transferMs: Date.parse(context.now()) - Date.parse(staged.row.created_at),
  });

  /** Why a verified file could not be taken, as the API says it; a conflicting file's bytes are dropped. */
  async function refuseTake(staged: Staged, error: unknown): Promise<never> {
    const { path } = staged;
    if (error instanceof NoSpaceError)
      throw new AppError('storage_full', `${path}: the server's storage is full`, { path });
    if (!(error instanceof DestinationConflictError)) throw error;
    await writer.discard(staged.file, staged.row.id);
    await stagingRows.deleteStaging(db, [staged.row.id]);
    throw new AppError('destination_conflict', error.message, { path });
  }

  const takenOf = (staged: Staged, outcome: TakenResponse['outcome']): TakenResponse => ({
    path: staged.path,
    outcome,
    size: staged.digest.size,
    md5: staged.digest.md5,
    sha256: staged.digest.sha256,
  });

  /** A file the agent copied into storage, re-read: its size and SHA-256 must be the ones sent. */
  async function verifyCopied(leasedDaq: Leased, body: Omit<ChecksumsBody, 'owner'>): Promise<Copied> {
    const { path, destination, source } = await placeOf(leasedDaq, body.relativePath);
    // A FIFO or device there would block the read (or never end): only a regular file is read.
    const kind = await stat(destination).catch(() => undefined);
    if (kind !== undefined && !kind.isFile() && !kind.isDirectory())
      throw invalidField('relativePath', `${path} is not a regular file`);
    const digest = await digestFile(destination, { md5: false, expectedSize: body.size }).catch(
      (error: unknown) => {
        // The agent names the path, so a directory there (or a file where a directory should be) is its
        // mistake to hear about, not a server error.
        if (isCode(error, 'EISDIR')) throw invalidField('relativePath', `${path} is a directory, not a file`);
        if (!isCode(error, 'ENOENT') && !isCode(error, 'ENOTDIR')) throw error;
        throw new AppError('file_not_found', `${path} is not in the experiment's storage`, { path });
      },
    );
    if (digest.size !== body.size || digest.sha256 !== body.sha256) {
      throw new AppError('checksum_mismatch', `${path} in storage does not match the checksums sent`, {
        path,
        expectedSha256: body.sha256,
        actualSha256: digest.sha256,
      });
    }
    const { size, md5, sha256 } = body;
    const mtime = versionOf(leasedDaq.daq.id, path, body).mtime;
    return { path, source, destination, file: { size, md5, sha256, mtime, transferMs: null } };
  }

  const copiedRequest = ({ daq, experiment }: Leased, copied: Copied, existing: FileRow | undefined) => ({
    experiment,
    source: copied.source,
    path: copied.path,
    existing,
    origin: { type: 'daq' as const, id: daq.id },
    workflow: workflowOf(daq),
  });

  return {
    placeOf,
    stagedPlaceOf,
    versionOf,
    stage,
    stageMany,
    verifyStaged,
    stagedRequest,
    refuseTake,
    takenOf,
    verifyCopied,
    copiedRequest,
  };
}
