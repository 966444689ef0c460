/**
 * The verified copy every transfer into storage goes through (DAQ, upload).
 *
 * Glossary:
 * - source: the file as the detector or user wrote it; the copy reads it once, hashing as it goes.
 * - temp file: `.<name>.dm-partial-<random>` beside the destination; the only name a copy in progress has,
 *   so nothing half-written is ever visible under the final name, and leftovers after a crash are found by
 *   their name (`removePartialFiles`).
 * - verification: re-reading the fsynced temp file and comparing its SHA-256 with the source's, before the
 *   rename that makes it visible. Equal SHA-256 means equal bytes, hence equal MD5 too: hashing MD5 again
 *   would add no certainty and made large copies 1.7 times slower (docs/benchmarks.md).
 * - attempt: stat the source, copy it into a temp file hashing in the same pass, verify, stat again. A
 *   source that changed or a copy that reads back wrong is tried again, up to `maxAttempts`.
 *
 * MD5 is kept because APS catalogs and users' tools compare MD5; SHA-256 is what we trust.
 */
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { type BigIntStats, createReadStream, createWriteStream, constants as fsConstants } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  ChecksumMismatchError,
  DestinationConflictError,
  NoSpaceError,
  SourceChangedError,
  SourceMissingError,
} from './errors.ts';
import { md5InWorker } from './md5-worker.ts';

export type OnExisting = 'skip-identical-else-refuse' | 'overwrite-keep-old';

export interface CopyHooks {
  /**
   * Test seam, never set in production: runs after the temp file is written and fsynced and before it is
   * verified, so a test can corrupt it (flip a byte) or change the source at that moment.
   */
  afterWrite?(tempPath: string): Promise<void>;
}

export interface CopyOptions {
  source: string;
  destination: string;
  /** An existing destination with the same content is always skipped; this says what a different one means. */
  onExisting: OnExisting;
  /** Where the previous version goes (named `<name>.<timestamp>`); required with `overwrite-keep-old`. */
  oldVersionsDirectory?: string;
  /** Attempts before giving up on a source that keeps changing or a copy that keeps reading back wrong. */
  maxAttempts?: number;
  signal?: AbortSignal;
  /** Bytes per read and write (4 MiB); smaller files are read and written in one call each. */
  highWaterMark?: number;
  /** Mode of directories created on the way to the destination (before the umask). */
  directoryMode?: number;
  /** Mode of the new file (before the umask). */
  fileMode?: number;
  hooks?: CopyHooks;
}

export interface CopyResult {
  /** `identical`: the destination already held these bytes and was left alone. */
  outcome: 'copied' | 'identical' | 'overwritten';
  size: number;
  md5: string;
  sha256: string;
  /** The source's mtime when it was read, for the catalog. */
  sourceMtimeMs: number;
  attempts: number;
  durationMs: number;
}

interface Digest {
  size: number;
  md5: string;
  sha256: string;
}

type Settings = Required<Pick<CopyOptions, 'maxAttempts' | 'highWaterMark' | 'directoryMode' | 'fileMode'>> &
  CopyOptions;

const partialMarker = '.dm-partial-';
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
  const started = performance.now();
  if (options.onExisting === 'overwrite-keep-old' && options.oldVersionsDirectory === undefined) {
    throw new TypeError('copyVerified: overwrite-keep-old needs an oldVersionsDirectory');
  }
  const settings: Settings = {
    ...options,
    maxAttempts: options.maxAttempts ?? 3,
    highWaterMark: options.highWaterMark ?? defaultHighWaterMark,
    directoryMode: options.directoryMode ?? 0o750,
    fileMode: options.fileMode ?? 0o640,
  };
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await attemptCopy(settings, attempt);
        return { ...result, attempts: attempt, durationMs: performance.now() - started };
      } catch (error) {
        const retry = error instanceof SourceChangedError || error instanceof ChecksumMismatchError;
        if (!retry || attempt >= settings.maxAttempts) throw error;
      }
    }
  } catch (error) {
    if (isCode(error, 'ENOSPC') || isCode(error, 'EDQUOT')) {
      throw new NoSpaceError(options.destination, { cause: error });
    }
    // The source vanished between its stat and its open.
    if (isCode(error, 'ENOENT') && (error as { path?: unknown }).path === options.source) {
      throw new SourceMissingError(options.source, { cause: error });
    }
    throw error;
  }
}

/** One attempt; another may succeed after a `SourceChangedError` or a `ChecksumMismatchError`. */
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
  const tempPath = join(dirname(destination), temporaryName(basename(destination)));
  let placed = false;
  // Awaited on every path (even when the copy fails first), so no worker outlives its copy unobserved.
  const md5 = before.size >= largeFileBytes ? md5InWorker(source, settings.highWaterMark, signal) : undefined;
  md5?.catch(() => undefined);
  try {
    const copied = await writeTemporary(settings, tempPath, before.size, md5 === undefined);
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
 * The source's digest when the destination already holds the same bytes (nothing is written), undefined
 * when it may be replaced; otherwise the conflict. Sizes are compared first, so most conflicts cost no read.
 */
async function compareWithExisting(
  settings: Settings,
  before: BigIntStats,
  existing: BigIntStats,
  attempt: number,
): Promise<Digest | undefined> {
  const { source, destination } = settings;
  if (!existing.isFile()) throw new DestinationConflictError(destination, 'something that is not a file');
  if (existing.size === before.size) {
    const [sourceDigest, destinationDigest] = await Promise.all([
      hashFile(source, settings, before.size),
      hashFile(destination, settings, existing.size, false),
    ]);
    if (changed(before, await statSource(source))) throw new SourceChangedError(source, attempt);
    if (sourceDigest.sha256 === destinationDigest.sha256) return sourceDigest;
  }
  if (settings.onExisting === 'overwrite-keep-old') return undefined;
  const reason =
    existing.size === before.size ? 'different content' : `a different size (${existing.size} bytes)`;
  throw new DestinationConflictError(destination, reason);
}

/**
 * Copies the source into a new temp file, hashing it on the way, and fsyncs it (`flush`), so a power cut
 * cannot leave a renamed but empty file. `wx` (O_EXCL): a stale file is never written into.
 */
async function writeTemporary(
  settings: Settings,
  tempPath: string,
  expectedSize: bigint,
  md5: boolean,
): Promise<Digest> {
  const { source, highWaterMark, signal } = settings;
  const checksums = new Checksums({ md5 });
  const mode = settings.fileMode;
  if (expectedSize < highWaterMark) {
    // One read and one write: streams cost half as much CPU again on a 64 KiB file.
    const data = await readFile(source, { signal });
    checksums.update(data);
    await writeFile(tempPath, data, { flag: 'wx', mode, flush: true, signal });
    return checksums.digest();
  }
  await pipeline(
    createReadStream(source, { highWaterMark }),
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

/** The checksums of a file in one read (SHA-256, and MD5 unless told not to). */
async function hashFile(path: string, settings: Settings, expectedSize: bigint, md5 = true): Promise<Digest> {
  const { highWaterMark, signal } = settings;
  const checksums = new Checksums({ md5 });
  if (expectedSize < highWaterMark) {
    checksums.update(await readFile(path, { signal }));
    return checksums.digest();
  }
  await pipeline(
    createReadStream(path, { highWaterMark }),
    async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) checksums.update(chunk);
    },
    { signal },
  );
  return checksums.digest();
}

/** SHA-256 and MD5 updated together, chunk by chunk, so a file is read once for both. */
class Checksums {
  private size = 0;
  private readonly sha256 = createHash('sha256');
  private readonly md5: Hash | undefined;

  constructor(options: { md5: boolean }) {
    this.md5 = options.md5 ? createHash('md5') : undefined;
  }

  update(chunk: Buffer): void {
    this.sha256.update(chunk);
    this.md5?.update(chunk);
    this.size += chunk.length;
  }

  digest(): Digest {
    return { size: this.size, sha256: this.sha256.digest('hex'), md5: this.md5?.digest('hex') ?? '' };
  }
}

/**
 * Renames the verified temp file into place (atomic: readers see the old file or the new one). With
 * `overwrite-keep-old`, the previous version is first hard-linked into the old-versions directory, so the
 * destination name never disappears; where hard links are not supported it is moved there instead.
 */
async function placeFile(
  settings: Pick<Settings, 'destination' | 'oldVersionsDirectory' | 'directoryMode'>,
  tempPath: string,
  replacing: boolean,
): Promise<void> {
  const { destination, oldVersionsDirectory } = settings;
  if (replacing && oldVersionsDirectory !== undefined) {
    await mkdir(oldVersionsDirectory, { recursive: true, mode: settings.directoryMode });
    await keepOldVersion(destination, oldVersionsDirectory);
    await fsyncDirectory(oldVersionsDirectory);
  }
  await rename(tempPath, destination);
  await fsyncDirectory(dirname(destination));
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

async function keepOldVersion(destination: string, oldVersionsDirectory: string): Promise<void> {
  const stamp = new Date().toISOString().replaceAll(':', '-');
  for (let suffix = 0; ; suffix++) {
    const name = `${basename(destination)}.${stamp}${suffix === 0 ? '' : `-${suffix}`}`;
    const oldPath = join(oldVersionsDirectory, name);
    try {
      await link(destination, oldPath);
      return;
    } catch (error) {
      if (isCode(error, 'EEXIST')) continue;
      if (!isCode(error, 'EPERM') && !isCode(error, 'ENOTSUP') && !isCode(error, 'EXDEV')) throw error;
      await rename(destination, oldPath);
      return;
    }
  }
}

/**
 * Deletes the temp files (`.<name>.dm-partial-<random>`) that copies interrupted by a crash left anywhere
 * under `root`, and returns their paths. Run it before any copy starts: it would remove a live copy's too.
 *
 * @example
 * const removed = await removePartialFiles(paths.dataDirectory);
 * if (removed.length > 0) logger.warn({ removed }, 'removed interrupted copies');
 */
export async function removePartialFiles(root: string): Promise<string[]> {
  const found = await findPartialFiles(root);
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

/** True for the names `copyVerified` gives files being copied. */
export function isPartialName(name: string): boolean {
  return name.startsWith('.') && name.includes(partialMarker);
}

/** Destination names may be up to NAME_MAX (255 bytes); the temp name adds 25, so long names are cut. */
function temporaryName(name: string): string {
  let prefix = name;
  while (Buffer.byteLength(prefix) > 200) prefix = [...prefix].slice(0, -1).join('');
  return `.${prefix}${partialMarker}${randomBytes(6).toString('hex')}`;
}

async function statSource(source: string): Promise<BigIntStats> {
  const stats = await statIfExists(source);
  if (stats === undefined) throw new SourceMissingError(source);
  return stats;
}

async function statIfExists(path: string): Promise<BigIntStats | undefined> {
  return stat(path, { bigint: true }).catch((error: unknown) => {
    if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return undefined;
    throw error;
  });
}

/** Nanosecond times: a writer that appends and truncates back within one millisecond is still seen. */
function changed(before: BigIntStats, after: BigIntStats): boolean {
  return (
    before.size !== after.size ||
    before.mtimeNs !== after.mtimeNs ||
    before.ctimeNs !== after.ctimeNs ||
    before.ino !== after.ino
  );
}

/**
 * Makes new directory entries durable: the destination's directory was fsynced with the rename; each
 * directory created on the way to it must be fsynced in its parent.
 */
async function syncCreatedDirectories(directory: string, firstCreated: string | undefined): Promise<void> {
  if (firstCreated === undefined) return;
  const top = resolve(firstCreated);
  for (let current = directory; current !== dirname(current); current = dirname(current)) {
    await fsyncDirectory(dirname(current));
    if (current === top) return;
  }
}

async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
