/**
 * The steps every verified copy is made of, shared by the copy of one large file (verified-copy.ts) and the
 * copy of many small files together (batch-copy.ts): the options and results, checking an existing
 * destination, hashing, placing a verified file and making directory entries durable.
 */
import { createHash, type Hash } from 'node:crypto';
import { type BigIntStats, createReadStream, constants as fsConstants } from 'node:fs';
import { type FileHandle, link, mkdir, open, readFile, readlink, rename, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isCode } from '../errors/error-code.ts';
import {
  ChecksumMismatchError,
  DestinationConflictError,
  NoSpaceError,
  PathOutsideRootError,
  SourceChangedError,
  SourceMissingError,
} from './errors.ts';

export type OnExisting = 'skip-identical-else-refuse' | 'overwrite-keep-old';

export interface CopyHooks {
  /**
   * Test seam, never set in production: runs after the temp file is written (and, for a file of one read or
   * more, fsynced; small files are made durable with their batch, after this) and before it is verified, so
   * a test can corrupt it (flip a byte) or change the source at that moment.
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
  /**
   * Who copies (`upload-12`, `daq-7`: see transferTag): the temp file's name carries it, so a transfer that
   * resumes after a crash removes exactly its own leftovers while other transfers into the experiment run.
   */
  partialTag?: string;
  /**
   * Called with the file's whole content when the copy held it in memory (files below one read), once it is
   * verified: a caller can look inside (the catalog's HDF5 check) without reading the file again.
   */
  inspectContent?(content: Buffer): void;
  /**
   * The real path of the directory the transfer was allowed to read (an upload's or DAQ's checked source).
   * When set, the source is opened without following a symbolic link in its last component and read only
   * if what was opened is a regular file whose real path lies below it: a parent directory or the file
   * swapped for a symbolic link after the check is refused (openSource). Unset (an agent's staged file):
   * opened by path as given.
   */
  sourceRoot?: string;
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

export interface Digest {
  size: number;
  md5: string;
  sha256: string;
}

export type Settings = Required<
  Pick<CopyOptions, 'maxAttempts' | 'highWaterMark' | 'directoryMode' | 'fileMode'>
> &
  CopyOptions;

/**
 * The source's digest when the destination already holds the same bytes (nothing is written), undefined
 * when it may be replaced; otherwise the conflict. Sizes are compared first, so most conflicts cost no read.
 */
export async function compareWithExisting(
  settings: Settings,
  before: BigIntStats,
  existing: BigIntStats,
  attempt: number,
): Promise<Digest | undefined> {
  const { source, destination } = settings;
  if (!existing.isFile()) throw new DestinationConflictError(destination, 'something that is not a file');
  if (existing.size === before.size) {
    const [sourceDigest, destinationDigest] = await Promise.all([
      withSource(settings, (handle) => hashFile(handle, settings, before.size)),
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
 * The checksums of a file in one read (SHA-256, and MD5 unless told not to), by path or through an open
 * handle (read from its start; the caller closes it).
 */
export async function hashFile(
  file: string | FileHandle,
  settings: Settings,
  expectedSize: bigint,
  md5 = true,
): Promise<Digest> {
  const { highWaterMark, signal } = settings;
  const checksums = new Checksums({ md5 });
  if (expectedSize < highWaterMark && typeof file === 'string') {
    checksums.update(await readFile(file, { signal }));
    return checksums.digest();
  }
  await pipeline(
    typeof file === 'string'
      ? createReadStream(file, { highWaterMark })
      : file.createReadStream({ start: 0, highWaterMark, autoClose: false }),
    async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) checksums.update(chunk);
    },
    { signal },
  );
  return checksums.digest();
}

/** SHA-256 and MD5 updated together, chunk by chunk, so a file is read once for both. */
export class Checksums {
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
export async function placeFile(
  settings: Pick<Settings, 'destination' | 'oldVersionsDirectory' | 'directoryMode'>,
  tempPath: string,
  replacing: boolean,
  /** False when the caller fsyncs the destination's directory itself, once for many files. */
  syncDirectory = true,
): Promise<void> {
  const { destination, oldVersionsDirectory } = settings;
  if (replacing && oldVersionsDirectory !== undefined) {
    await mkdir(oldVersionsDirectory, { recursive: true, mode: settings.directoryMode });
    await keepOldVersion(destination, oldVersionsDirectory);
    await fsyncDirectory(oldVersionsDirectory);
  }
  await rename(tempPath, destination);
  if (syncDirectory) await fsyncDirectory(dirname(destination));
}

export async function keepOldVersion(destination: string, oldVersionsDirectory: string): Promise<void> {
  // Wall clock: this runs in the copy worker thread and the DAQ agent, out of the injected clock's reach;
  // the stamp only names the kept file for people and is never compared with a stored time.
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
 * Opens the source to be read. With a `sourceRoot`, the open does not follow a symbolic link (O_NOFOLLOW),
 * cannot hang on a FIFO (O_NONBLOCK), and what was opened must be a regular file whose real path (read
 * from /proc/self/fd, so through the descriptor, not the name) lies below the root: the source directory
 * was checked, but anyone who may write in it could swap a file or one of its parent directories for a
 * symbolic link between that check and this open, and the server, running as root, would copy the link's
 * target. Refused with a PathOutsideRootError; nothing is read.
 */
export async function openSource(settings: Pick<CopyOptions, 'source' | 'sourceRoot'>): Promise<FileHandle> {
  const { source, sourceRoot } = settings;
  if (sourceRoot === undefined) return open(source, 'r');
  const flags = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK;
  const handle = await open(source, flags).catch((error: unknown) => {
    if (isCode(error, 'ELOOP')) throw new PathOutsideRootError(sourceRoot, source, 'it is a symbolic link');
    throw error;
  });
  try {
    if (!(await handle.stat()).isFile()) {
      throw new PathOutsideRootError(sourceRoot, source, 'it is not a regular file');
    }
    const real = await readlink(`/proc/self/fd/${handle.fd}`);
    const rest = relative(sourceRoot, real);
    if (rest === '' || rest === '..' || rest.startsWith('../') || isAbsolute(rest)) {
      throw new PathOutsideRootError(sourceRoot, source, `it leads to ${real} (through a symbolic link)`);
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Runs `read` with the source open (openSource), and closes it after. */
export async function withSource<T>(
  settings: Pick<CopyOptions, 'source' | 'sourceRoot'>,
  read: (handle: FileHandle) => Promise<T>,
): Promise<T> {
  const handle = await openSource(settings);
  try {
    return await read(handle);
  } finally {
    await handle.close();
  }
}

export async function statSource(source: string): Promise<BigIntStats> {
  const stats = await statIfExists(source);
  if (stats === undefined) throw new SourceMissingError(source);
  return stats;
}

export async function statIfExists(path: string): Promise<BigIntStats | undefined> {
  return stat(path, { bigint: true }).catch((error: unknown) => {
    if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return undefined;
    throw error;
  });
}

/** Nanosecond times: a writer that appends and truncates back within one millisecond is still seen. */
export function changed(before: BigIntStats, after: BigIntStats): boolean {
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
export async function syncCreatedDirectories(
  directory: string,
  firstCreated: string | undefined,
): Promise<void> {
  if (firstCreated === undefined) return;
  const top = resolve(firstCreated);
  for (let current = directory; current !== dirname(current); current = dirname(current)) {
    await fsyncDirectory(dirname(current));
    if (current === top) return;
  }
}

export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The error a copy reports: a full disk or quota as `NoSpaceError`, a source gone between its stat and its
 * open as `SourceMissingError`, anything else as it came.
 */
export function copyError(error: unknown, options: Pick<CopyOptions, 'source' | 'destination'>): unknown {
  if (isCode(error, 'ENOSPC') || isCode(error, 'EDQUOT')) {
    return new NoSpaceError(options.destination, { cause: error });
  }
  if (isCode(error, 'ENOENT') && (error as { path?: unknown }).path === options.source) {
    return new SourceMissingError(options.source, { cause: error });
  }
  return error;
}

/** Whether another attempt may succeed: the source changed under the copy, or the copy read back wrong. */
export function worthRetrying(error: unknown): boolean {
  return error instanceof SourceChangedError || error instanceof ChecksumMismatchError;
}
