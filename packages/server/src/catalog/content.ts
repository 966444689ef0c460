import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { AppError, invalidField } from '../errors/app-error.ts';
import { loadReadable } from '../experiments/access.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import { resolveInside } from '../transfer/safe-path.ts';
import { findFile } from './file-records.ts';

export interface FileContent {
  stream: NodeJS.ReadableStream;
  size: number;
  /** Set for a range request: [first byte, last byte]. */
  range?: [number, number];
  md5: string;
  sha256: string;
}

/**
 * The bytes of a cataloged file, whole or from a byte range (`bytes=N-` or `bytes=N-M`), so an interrupted
 * download resumes where it stopped. Only files in the catalog are served: nothing else in the storage
 * tree can be reached through this.
 */
export async function openFileContent(
  context: ServiceContext,
  actor: Actor,
  experimentName: string,
  path: string,
  rangeHeader: string | undefined,
): Promise<FileContent> {
  const experiment = await loadReadable(context, actor, experimentName);
  const record = await findFile(context.db, experiment.id, path);
  if (!record)
    throw new AppError('file_not_found', `no file "${path}" in experiment "${experimentName}"`, { path });
  const storagePath = await resolveInside(pathsOf(context, experiment).dataDirectory, record.path);
  const info = await stat(storagePath).catch(() => undefined);
  if (!info)
    throw new AppError('storage_unavailable', `"${path}" is cataloged but missing from storage`, { path });
  const content = { size: info.size, md5: record.md5, sha256: record.sha256 };
  if (rangeHeader === undefined) return { ...content, stream: createReadStream(storagePath) };
  const match = /^bytes=(\d+)-(\d*)$/.exec(rangeHeader.trim());
  const first = match ? Number(match[1]) : Number.NaN;
  const last = match?.[2] ? Math.min(Number(match[2]), info.size - 1) : info.size - 1;
  if (!match || first > last || first >= info.size) {
    throw invalidField(
      'range',
      `"${rangeHeader}" is not a satisfiable byte range of a ${info.size}-byte file`,
    );
  }
  return {
    ...content,
    range: [first, last],
    stream: createReadStream(storagePath, { start: first, end: last }),
  };
}
