import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { FastifyBaseLogger } from 'fastify';
import { pack } from 'tar-stream';

export interface ArchiveMember {
  /** The name inside the archive. */
  name: string;
  /** Where the bytes are. */
  storagePath: string;
  size: number;
  mtime: Date;
}

/**
 * One tar stream of several files, written as it is read: nothing is staged on disk or held in memory
 * beyond a chunk, so a selection of many gigabytes starts downloading at once. The members were checked
 * before the first byte went out; a file that changes size meanwhile makes tar-stream fail the entry, and
 * the stream is cut short (the client sees an incomplete archive, never a wrong one).
 *
 * @example
 * reply.send(tarArchive([{ name: 'xpcs-1/a.h5', storagePath: '/storage/.../a.h5', size: 10, mtime }], logger));
 */
export function tarArchive(members: ArchiveMember[], logger: FastifyBaseLogger): NodeJS.ReadableStream {
  const archive = pack();
  (async () => {
    for (const member of members) {
      const entry = archive.entry({
        name: member.name,
        size: member.size,
        mtime: member.mtime,
        mode: 0o644,
      });
      await pipeline(createReadStream(member.storagePath), entry);
    }
    archive.finalize();
  })().catch((error: unknown) => {
    logger.warn({ error }, 'archive download cut short');
    archive.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  return archive;
}
