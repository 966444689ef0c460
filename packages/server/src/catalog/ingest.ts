/**
 * Taking one file into an experiment: verified copy into storage, then its catalog record (with what the
 * file carries). Uploads and DAQs both take files through here.
 */
import { dirname, join } from 'node:path';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import type { FileOriginType, FileRow } from '../db/tables.ts';
import type { ExperimentRecord } from '../experiments/store.ts';
import { pathsOf } from '../storage/lifecycle.ts';
import { resolveInside } from '../transfer/safe-path.ts';
import { type CopyResult, copyVerified } from '../transfer/verified-copy.ts';
import { flattenForCatalog, readFileMetadata } from './hdf5-metadata.ts';
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
}

export async function ingestFile(context: ServiceContext, request: IngestRequest): Promise<CopyResult> {
  const started = Date.now();
  const { dataDirectory, systemDirectory } = pathsOf(context, request.experiment);
  const destination = await resolveInside(dataDirectory, request.path);
  const copy = await copyVerified({
    source: request.source,
    destination,
    onExisting: request.overwrite ? 'overwrite-keep-old' : 'skip-identical-else-refuse',
    oldVersionsDirectory: join(systemDirectory, 'old-versions', dirname(request.path)),
    // Wide modes on purpose: under the experiment's default ACL the group bits become the ACL mask, so a
    // narrower mode would cut the access the ACL grants. The experiment directory itself (0700 plus named
    // entries) is what keeps everyone else out.
    directoryMode: 0o770,
    fileMode: 0o660,
  });
  const content = await readFileMetadata(destination);
  if (content.error)
    context.logger.warn({ path: request.path, error: content.error }, 'file metadata partly unreadable');
  await upsertFile(
    context.db,
    {
      experimentId: request.experiment.id,
      path: request.path,
      size: copy.size,
      mtime: new Date(copy.sourceMtimeMs).toISOString(),
      md5: copy.md5,
      sha256: copy.sha256,
      source: request.source,
      originType: request.origin.type,
      originId: request.origin.id,
      transferMs: Date.now() - started,
      contentMetadata: flattenForCatalog(content),
      now: context.now(),
    },
    request.existing ? decodeJson<Record<string, unknown>>(context.profile, request.existing.metadata) : {},
  );
  await context.events.publish(context.db, {
    type: 'file.cataloged',
    experimentId: request.experiment.id,
    subjectId: request.path,
    payload: { path: request.path, size: copy.size, md5: copy.md5, origin: request.origin },
  });
  return copy;
}
