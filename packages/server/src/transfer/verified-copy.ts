/**
 * The verified copy every transfer into storage goes through (DAQ, upload).
 *
 * Glossary:
 * - source: the file as the detector or user wrote it; the copy reads it once, hashing as it goes.
 * - temp file: `.<name>.dm-partial-<random>` beside the destination; the only name a copy in progress has,
 *   so nothing half-written is ever visible under the final name, and leftovers after a crash are found by
 *   their name (`removePartialFiles`).
 * - verification: re-reading the temp file before the rename that makes it visible. A file of one read or
 *   more is fsynced, re-read and its SHA-256 compared with the source's (equal SHA-256 means equal bytes,
 *   hence equal MD5 too: hashing MD5 again would add no certainty and made large copies 1.7 times slower,
 *   docs/benchmarks.md); a smaller one is read back through its handle and compared byte for byte with what
 *   was written, then fsynced with its batch (small-copy.ts).
 * - attempt: stat the source, copy it into a temp file hashing in the same pass, verify, stat again. A
 *   source that changed or a copy that reads back wrong is tried again, up to `maxAttempts`.
 *
 * MD5 is kept because APS catalogs and users' tools compare MD5; SHA-256 is what we trust.
 */
import { createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isCode } from '../errors/error-code.ts';
import { isPartialName, temporaryName } from '../storage/partial-names.ts';
import {
  Checksums,
  type CopyOptions,
  type CopyResult,
  changed,
  compareWithExisting,
  copyError,
  type Digest,
  hashFile,
  openSource,
  placeFile,
  type Settings,
  statIfExists,
  statSource,
  syncCreatedDirectories,
  worthRetrying,
} from './copy-steps.ts';
import { ChecksumMismatchError, SourceChangedError } from './errors.ts';
import { md5InWorker } from './md5-worker.ts';
import { DirectoryMaker, placeStagedCopies, type StagedCopy, stageSmallCopy } from './small-copy.ts';

export { isPartialName } from '../storage/partial-names.ts';
export type { CopyHooks, CopyOptions, CopyResult, OnExisting } from './copy-steps.ts';

const defaultHighWaterMark = 4 * 1024 * 1024;
/**
 * Files at least this large get their MD5 from a worker thread (md5-worker.ts) on another core while the copy
 * pass hashes SHA-256; below it, starting a worker costs more than it saves.
 */
export const largeFileBytes = 64 * 1024 * 1024;

/**
 * Copies `source` to `destination` so that the destination either does not change or holds exactly the
 * source's bytes, durably, with their MD5 and SHA-256. Rejects with a `TransferError` (see errors.ts).
 *
 * @example
 * const result = await copyVerified({
 *   source: '/detector/run-7/frame-0001.h5',
 *   destination: await resolveInside(paths.dataDirectory, 'frame-0001.h5'),
 *   onExisting: 'overwrite-keep-old',
 *   oldVersionsDirectory: join(paths.systemDirectory, 'old-versions'),
 * });
 * // { outcome: 'copied', size: 52428800, md5: '…', sha256: '…', attempts: 1, … }
 */
export async function copyVerified(options: CopyOptions): Promise<CopyResult> {
  const [result] = await copyVerifiedBatch([options]);
  if (result?.status !== 'fulfilled') throw result?.reason;
  return result.value;
}

/** Small files staged at once in a batch: enough to keep libuv's thread pool busy, no more. */
const stagesAtOnce = 8;

/**
 * Copies many files as copyVerified copies one, with one result per file in order. Small files (below one
 * read) are staged one after another's file-system calls (small-copy.ts) and then made durable and placed
 * together; larger ones are copied on their own. A file's failure is its own: the others are still placed.
 *
 * @example
 * const results = await copyVerifiedBatch(frames.map((frame) => ({ source: frame.path, destination: …,
 *   onExisting: 'skip-identical-else-refuse' })));
 * results.filter((result) => result.status === 'rejected'); // the files not taken, with their errors
 */
export async function copyVerifiedBatch(
  items: readonly CopyOptions[],
): Promise<PromiseSettledResult<CopyResult>[]> {
  const started = performance.now();
  const results: PromiseSettledResult<CopyResult>[] = [];
  const staged: { index: number; staged: StagedCopy; attempts: number }[] = [];
  const directories = new DirectoryMaker();
  const finish = (index: number, result: Omit<CopyResult, 'durationMs'>) => {
    results[index] = { status: 'fulfilled', value: { ...result, durationMs: performance.now() - started } };
  };
  const fail = (index: number, error: unknown, options: CopyOptions) => {
    results[index] = { status: 'rejected', reason: copyError(error, options) };
  };
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < items.length; index = next++) {
      const options = items[index] as CopyOptions;
      try {
        const settings = settingsOf(options);
        const outcome = await withAttempts(settings, (attempt) =>
          stageSmallCopy(settings, attempt, directories),
        );
        if (outcome.value.kind === 'staged') {
          staged.push({ index, staged: outcome.value.staged, attempts: outcome.attempts });
        } else if (outcome.value.kind === 'identical') {
          const { digest, sourceMtimeMs } = outcome.value;
          finish(index, { outcome: 'identical', ...digest, sourceMtimeMs, attempts: outcome.attempts });
        } else {
          const large = await withAttempts(settings, (attempt) => attemptCopy(settings, attempt));
          finish(index, { ...large.value, attempts: large.attempts });
        }
      } catch (error) {
        fail(index, error, options);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(stagesAtOnce, items.length) }, lane));
  const errors = await placeStagedCopies(staged.map((entry) => entry.staged));
  staged.forEach(({ index, staged, attempts }, position) => {
    const error = errors[position];
    const { digest, sourceMtimeMs, replacing, settings } = staged;
    if (error !== undefined) fail(index, error, settings);
    else finish(index, { outcome: replacing ? 'overwritten' : 'copied', ...digest, sourceMtimeMs, attempts });
  });
  return results;
}

function settingsOf(options: CopyOptions): Settings {
  if (options.onExisting === 'overwrite-keep-old' && options.oldVersionsDirectory === undefined) {
    throw new TypeError('copyVerified: overwrite-keep-old needs an oldVersionsDirectory');
  }
  return {
    ...options,
    maxAttempts: options.maxAttempts ?? 3,
    highWaterMark: options.highWaterMark ?? defaultHighWaterMark,
    directoryMode: options.directoryMode ?? 0o750,
    fileMode: options.fileMode ?? 0o640,
  };
}

/** Runs `attempt` until it succeeds, fails for good, or has been tried `maxAttempts` times. */
async function withAttempts<T>(
  settings: Settings,
  attempt: (attempt: number) => Promise<T>,
): Promise<{ value: T; attempts: number }> {
  for (let attempts = 1; ; attempts++) {
    try {
      return { value: await attempt(attempts), attempts };
    } catch (error) {
      if (!worthRetrying(error) || attempts >= settings.maxAttempts) throw error;
    }
  }
}

/**
 * One attempt at copying a file of one read or more; another may succeed after a `SourceChangedError` or a
 * `ChecksumMismatchError`.
 */
async function attemptCopy(
  settings: Settings,
  attempt: number,
): Promise<Omit<CopyResult, 'attempts' | 'durationMs'>> {
  const { source, destination, signal } = settings;
  signal?.throwIfAborted();
  const before = await statSource(source);
  const sourceMtimeMs = Number(before.mtimeNs) / 1e6;
  const existing = await statIfExists(destination);
  if (existing !== undefined) {
    const digest = await compareWithExisting(settings, before, existing, attempt);
    if (digest !== undefined) return { outcome: 'identical', ...digest, sourceMtimeMs };
  }
  const created = await mkdir(dirname(destination), { recursive: true, mode: settings.directoryMode });
  const tempPath = join(dirname(destination), temporaryName(basename(destination), settings.partialTag));
  let placed = false;
  // Read only through this descriptor (checked by openSource), by the copy pass and the MD5 worker alike.
  const input = await openSource(settings);
  // Awaited on every path (even when the copy fails first), so no worker outlives its copy unobserved, and
  // none still reads the descriptor when it is closed below.
  const md5 =
    before.size >= largeFileBytes ? md5InWorker(input.fd, source, settings.highWaterMark, signal) : undefined;
  md5?.catch(() => undefined);
  try {
    const copied = await writeTemporary(settings, input, tempPath, md5 === undefined);
    await settings.hooks?.afterWrite?.(tempPath);
    const readBack = await hashFile(tempPath, settings, before.size, false);
    if (readBack.sha256 !== copied.sha256 || readBack.size !== copied.size) {
      throw new ChecksumMismatchError(source, destination, attempt, copied.sha256, readBack.sha256);
    }
    const digest = md5 ? { ...copied, md5: await md5Matching(md5, copied.size, source, attempt) } : copied;
    // After the verification, so the window between the two stats covers the whole read.
    if (changed(before, await statSource(source)) || digest.size !== Number(before.size)) {
      throw new SourceChangedError(source, attempt);
    }
    signal?.throwIfAborted();
    await placeFile(settings, tempPath, existing !== undefined);
    placed = true;
    await syncCreatedDirectories(resolve(dirname(destination)), created);
    const outcome = existing === undefined ? 'copied' : 'overwritten';
    return { outcome, ...digest, sourceMtimeMs };
  } finally {
    await md5?.catch(() => undefined);
    await input.close();
    // A temp file that cannot be removed is left to removePartialFiles: the copy's own error matters more.
    if (!placed) await rm(tempPath, { force: true }).catch(() => undefined);
  }
}

/** The worker's MD5, once it read as many bytes as the copy did (else the source changed between them). */
async function md5Matching(
  md5: Promise<{ md5: string; size: number }>,
  size: number,
  source: string,
  attempt: number,
): Promise<string> {
  const result = await md5;
  if (result.size !== size) throw new SourceChangedError(source, attempt);
  return result.md5;
}

/**
 * Copies the source into a new temp file, hashing it on the way, and fsyncs it (`flush`), so a power cut
 * cannot leave a renamed but empty file. `wx` (O_EXCL): a stale file is never written into.
 */
async function writeTemporary(
  settings: Settings,
  input: FileHandle,
  tempPath: string,
  md5: boolean,
): Promise<Digest> {
  const { highWaterMark, signal } = settings;
  const checksums = new Checksums({ md5 });
  const mode = settings.fileMode;
  await pipeline(
    // Positional reads (`start`), so the MD5 worker's reads of the same descriptor do not move them.
    input.createReadStream({ start: 0, highWaterMark, autoClose: false }),
    async function* hashChunks(chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        checksums.update(chunk);
        yield chunk;
      }
    },
    createWriteStream(tempPath, { flags: 'wx', mode, flush: true, highWaterMark }),
    { signal },
  );
  return checksums.digest();
}

/**
 * Renames a file that was written and verified elsewhere on the destination's file system (a DAQ agent's
 * staging file) into place, as a copy does: the previous version kept when `replacing`, new directories
 * and entries made durable.
 *
 * @example
 * await renameIntoPlace(stagingPath, destination, { replacing: false, directoryMode: 0o770 });
 */
export async function renameIntoPlace(
  tempPath: string,
  destination: string,
  options: { replacing: boolean; oldVersionsDirectory?: string; directoryMode: number },
): Promise<void> {
  const created = await mkdir(dirname(destination), { recursive: true, mode: options.directoryMode });
  await placeFile({ destination, ...options }, tempPath, options.replacing);
  await syncCreatedDirectories(resolve(dirname(destination)), created);
}

/**
 * Deletes the temp files (`.<name>.dm-partial-<random>`) that copies interrupted by a crash left anywhere
 * under `root` (only those whose name `which` accepts, when given), and returns their paths. Run it before
 * any copy it could match starts: it would remove a live copy's too.
 *
 * @example
 * const removed = await removePartialFiles(paths.dataDirectory);
 * const own = await removePartialFiles(paths.dataDirectory, (name) => partialTagOf(name) === 'upload-12');
 */
export async function removePartialFiles(root: string, which?: (name: string) => boolean): Promise<string[]> {
  const found = (await findPartialFiles(root)).filter((path) => which?.(basename(path)) ?? true);
  for (const path of found) await rm(path, { force: true });
  return found.sort();
}

async function findPartialFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true }).catch((error: unknown) => {
    if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return [];
    throw error;
  });
  const found: string[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    // Dirent does not follow symlinks, so the walk never leaves the tree.
    if (entry.isDirectory()) found.push(...(await findPartialFiles(path)));
    else if (entry.isFile() && isPartialName(entry.name)) found.push(path);
  }
  return found;
}
