/**
 * Direct copy, where the server's storage is mounted on the agent's machine (`--storage-root`): the
 * verified copy writes the file into the experiment's data directory, then the server re-reads it and
 * catalogs it; small files found together are cataloged by one request.
 */
import { dirname, join } from 'node:path';
import { type AgentDaq, ApiError, type DaqAgentFileChecksums } from '@photon-dm/client';
import { defined } from '../errors/defined.ts';
import type { SourceFile } from '../finder/source-files.ts';
import { transferTag } from '../storage/partial-names.ts';
import { resolveInside } from '../transfer/safe-path.ts';
import { copyVerified } from '../transfer/verified-copy.ts';
import { riding, type SendContext } from './http-sender.ts';

/**
 * @example
 * await copyDirectly(context, daq, '/mnt/dm-storage', file, 'scan-1/frame.h5');
 */
export async function copyDirectly(
  context: SendContext,
  daq: AgentDaq,
  storageRoot: string,
  file: SourceFile,
  path: string,
): Promise<'taken'> {
  const copied = await copyIntoStorage(daq, storageRoot, file, path);
  await riding(context, () =>
    context.client.daqAgents.catalog(context.daqId, { owner: context.owner, ...copied }),
  );
  return 'taken';
}

/**
 * Small files copied one after the other, then cataloged by one `files/catalogs` request; one result per
 * file, in order. Throws (for the whole batch) when that request fails: the server away for longer than it
 * rides out, the lease lost, or a server too old for batches (404 `route_not_found`).
 *
 * @example
 * const results = await copyBatchDirectly(context, daq, '/mnt/dm-storage', files, paths);
 */
export async function copyBatchDirectly(
  context: SendContext,
  daq: AgentDaq,
  storageRoot: string,
  files: readonly SourceFile[],
  paths: readonly string[],
): Promise<PromiseSettledResult<'taken'>[]> {
  const results: PromiseSettledResult<'taken'>[] = [];
  const copied: { index: number; checksums: Copied }[] = [];
  for (const [index, file] of files.entries()) {
    try {
      copied.push({
        index,
        checksums: await copyIntoStorage(
          daq,
          storageRoot,
          file,
          defined(paths[index], `the path of file ${index}`),
        ),
      });
    } catch (reason) {
      results[index] = { status: 'rejected', reason };
    }
  }
  if (copied.length === 0) return results;
  const { results: cataloged } = await riding(context, () =>
    context.client.daqAgents.catalogs(context.daqId, {
      owner: context.owner,
      files: copied.map(({ checksums }) => checksums),
    }),
  );
  for (const [position, { index }] of copied.entries()) {
    const result = cataloged[position];
    results[index] =
      result?.status === 'taken'
        ? { status: 'fulfilled', value: 'taken' }
        : {
            status: 'rejected',
            // The batch request itself succeeded (200); the file's refusal is what `catalog` would say.
            reason:
              result === undefined
                ? new Error('the server gave no result for this file')
                : new ApiError(200, result.error.code, result.error.message, result.error.details),
          };
  }
  return results;
}

type Copied = Omit<DaqAgentFileChecksums, 'owner'>;

/** The verified copy into the experiment's data directory; what the server needs to catalog it. */
async function copyIntoStorage(
  daq: AgentDaq,
  storageRoot: string,
  file: SourceFile,
  path: string,
): Promise<Copied> {
  const experimentDirectory = join(storageRoot, daq.storagePath);
  const destination = await resolveInside(join(experimentDirectory, 'data'), path);
  const copy = await copyVerified({
    source: file.absolutePath,
    destination,
    onExisting: daq.overwrite ? 'overwrite-keep-old' : 'skip-identical-else-refuse',
    oldVersionsDirectory: join(experimentDirectory, 'system', 'old-versions', dirname(path)),
    // As the server's own copies (take/pipeline.ts): the experiment's ACLs decide who reads them.
    directoryMode: 0o770,
    fileMode: 0o660,
    // The server removes a killed agent's leftovers by this tag when the DAQ is claimed again.
    partialTag: transferTag('daq', daq.id),
  });
  return {
    relativePath: file.relativePath,
    size: copy.size,
    mtime: new Date(copy.sourceMtimeMs).toISOString(),
    md5: copy.md5,
    sha256: copy.sha256,
  };
}
