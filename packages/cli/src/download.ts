/**
 * Downloading cataloged files to a local directory, resumably and verified: each file goes to
 * `<name>.dm-download` (continued from its size with a Range request after an interruption), is checked
 * against the catalog's MD5 and SHA-256, and only then renamed to its name.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CatalogFile, PhotonClient } from '@photon-dm/client';

export type DownloadOutcome = 'downloaded' | 'resumed' | 'present';

export async function hashLocalFile(path: string): Promise<{ md5: string; sha256: string; size: number }> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) {
    md5.update(chunk as Buffer);
    sha256.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex'), size };
}

/** Where a cataloged path goes under the destination; a path that would leave it is refused. */
export function localPath(destination: string, experimentFilePath: string): string {
  const target = resolve(destination, experimentFilePath);
  const inside = relative(resolve(destination), target);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new Error(`refusing to write "${experimentFilePath}" outside ${destination}`);
  }
  return target;
}

export async function downloadFile(
  client: PhotonClient,
  file: CatalogFile,
  destination: string,
): Promise<DownloadOutcome> {
  const target = localPath(destination, file.experimentFilePath);
  const existing = await stat(target).catch(() => undefined);
  if (existing?.size === file.fileSize) {
    const digest = await hashLocalFile(target);
    if (digest.md5 === file.md5Sum && digest.sha256 === file.sha256Sum) return 'present';
  }
  const partial = `${target}.dm-download`;
  await mkdir(dirname(target), { recursive: true });
  let offset = (await stat(partial).catch(() => undefined))?.size ?? 0;
  if (offset > file.fileSize) {
    await rm(partial);
    offset = 0;
  }
  if (offset < file.fileSize) {
    const response = await client.files.content(file.experimentName, file.experimentFilePath, offset);
    // A server that ignored the range sends the whole file: start over rather than append it.
    const append = offset > 0 && response.status === 206;
    if (!append) offset = 0;
    if (!response.body) throw new Error(`no content for ${file.experimentFilePath}`);
    await pipeline(
      Readable.fromWeb(response.body as never),
      createWriteStream(partial, { flags: append ? 'a' : 'w' }),
    );
  }
  const digest = await hashLocalFile(partial);
  if (digest.md5 !== file.md5Sum || digest.sha256 !== file.sha256Sum) {
    await rm(partial, { force: true });
    throw new Error(`${file.experimentFilePath}: checksum mismatch after download (removed; run again)`);
  }
  await rename(partial, target);
  return offset > 0 ? 'resumed' : 'downloaded';
}
