/**
 * The end of a transfer whose bytes arrived elsewhere (a DAQ agent's HTTP upload, staged in the
 * experiment's system directory): check them against the checksums the sender computed, then put the file
 * in place under the same rules as the verified copy (identical: nothing to do; different: conflict unless
 * overwriting, keeping the old version).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { isCode } from '../errors/error-code.ts';
import { DestinationConflictError } from './errors.ts';
import { type OnExisting, renameIntoPlace } from './verified-copy.ts';

export interface FileDigest {
  size: number;
  md5: string;
  sha256: string;
}

/**
 * Reads a file once for its size, SHA-256 and (unless told not to) MD5; `expectedSize`, when known, sizes
 * the read buffer.
 *
 * @example
 * const { size, sha256 } = await digestFile('/storage/8-ID-I/e1/data/frame.h5', { md5: false });
 */
export async function digestFile(
  path: string,
  options: { md5: boolean; expectedSize?: number },
): Promise<FileDigest> {
  const sha256 = createHash('sha256');
  const md5 = options.md5 ? createHash('md5') : undefined;
  let size = 0;
  // A small file read through a 4 MiB buffer costs a 4 MiB allocation each (garbage for the collector).
  const highWaterMark = Math.min(4 * 1024 * 1024, (options.expectedSize ?? Number.POSITIVE_INFINITY) + 1);
  await pipeline(createReadStream(path, { highWaterMark }), async (chunks) => {
    for await (const chunk of chunks as AsyncIterable<Buffer>) {
      sha256.update(chunk);
      md5?.update(chunk);
      size += chunk.length;
    }
  });
  return { size, sha256: sha256.digest('hex'), md5: md5?.digest('hex') ?? '' };
}

/** Makes a file's bytes durable before it is renamed into place (a crash must not leave it empty). */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Puts a verified staged file at `destination`; the staged file is gone afterwards unless a conflict was
 * thrown. Returns what happened, as `copyVerified` does.
 *
 * @example
 * const outcome = await placeStaged({ staged, destination, digest, onExisting: 'skip-identical-else-refuse' });
 */
export async function placeStaged(options: {
  staged: string;
  destination: string;
  digest: Pick<FileDigest, 'size' | 'sha256'>;
  onExisting: OnExisting;
  oldVersionsDirectory?: string;
  directoryMode: number;
}): Promise<'copied' | 'identical' | 'overwritten'> {
  const { staged, destination, digest } = options;
  const existing = await stat(destination).catch((error: unknown) => {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  });
  if (existing !== undefined) {
    if (!existing.isFile()) throw new DestinationConflictError(destination, 'something that is not a file');
    if (existing.size === digest.size) {
      const held = await digestFile(destination, { md5: false });
      if (held.sha256 === digest.sha256) {
        await rm(staged, { force: true });
        return 'identical';
      }
    }
    if (options.onExisting !== 'overwrite-keep-old') {
      const reason =
        existing.size === digest.size ? 'different content' : `a different size (${existing.size} bytes)`;
      throw new DestinationConflictError(destination, reason);
    }
  }
  await renameIntoPlace(staged, destination, {
    replacing: existing !== undefined,
    directoryMode: options.directoryMode,
    ...(options.oldVersionsDirectory !== undefined && { oldVersionsDirectory: options.oldVersionsDirectory }),
  });
  return existing === undefined ? 'copied' : 'overwritten';
}
