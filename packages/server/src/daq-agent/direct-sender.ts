/**
 * Direct copy, where the server's storage is mounted on the agent's machine (`--storage-root`): the
 * verified copy writes the file into the experiment's data directory, then the server re-reads it and
 * catalogs it.
 */
import { dirname, join } from 'node:path';
import type { AgentDaq } from '@photon-dm/client';
import { resolveInside } from '../transfer/safe-path.ts';
import { copyVerified } from '../transfer/verified-copy.ts';
import type { SourceFile } from '../uploads/source-files.ts';
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
  const experimentDirectory = join(storageRoot, daq.storagePath);
  const destination = await resolveInside(join(experimentDirectory, 'data'), path);
  const copy = await copyVerified({
    source: file.absolutePath,
    destination,
    onExisting: daq.overwrite ? 'overwrite-keep-old' : 'skip-identical-else-refuse',
    oldVersionsDirectory: join(experimentDirectory, 'system', 'old-versions', dirname(path)),
    // As the server's own copies (catalog/ingest.ts): the experiment's ACLs decide who reads them.
    directoryMode: 0o770,
    fileMode: 0o660,
  });
  await riding(context, () =>
    context.client.daqAgents.catalog(context.daqId, {
      owner: context.owner,
      relativePath: file.relativePath,
      size: copy.size,
      mtime: new Date(copy.sourceMtimeMs).toISOString(),
      md5: copy.md5,
      sha256: copy.sha256,
    }),
  );
  return 'taken';
}
