/**
 * Verified copies of small files, many at a time: each is written into its temp file, read back and checked
 * (staged), and only then are they made durable together and renamed into place. A DAQ taking thousands of
 * detector frames a second pays for the durability of a batch (fsyncs in parallel, one fsync per directory)
 * instead of two fsyncs and a dozen file-system calls one file after another (docs/benchmarks.md, "DAQ end
 * to end").
 *
 * Small means below one read: the whole file is held in memory once, so the read-back compares bytes rather
 * than hashes, and the caller may look at the content without reading it again (`inspectContent`).
 */
import { createHash } from 'node:crypto';
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { temporaryName } from '../storage/partial-names.ts';
import {
  Checksums,
  changed,
  compareWithExisting,
  type Digest,
  fsyncDirectory,
  placeFile,
  type Settings,
  statIfExists,
  statSource,
  syncCreatedDirectories,
  withSource,
} from './copy-steps.ts';
import { ChecksumMismatchError, SourceChangedError } from './errors.ts';

/** A small file written into its temp file and verified, not yet durable nor visible. */
export interface StagedCopy {
  settings: Settings;
  tempPath: string;
  /** Kept open for the fsync of the batch. */
  handle: FileHandle;
  digest: Digest;
  sourceMtimeMs: number;
  replacing: boolean;
  /** The first directory `mkdir` created on the way to the destination, if any. */
  createdDirectory: string | undefined;
}

export type StageOutcome =
  | { kind: 'too-large' }
  | { kind: 'identical'; digest: Digest; sourceMtimeMs: number }
  | { kind: 'staged'; staged: StagedCopy };

/** Creates each directory once per batch; every file of the batch in that directory shares the answer. */
export class DirectoryMaker {
  private readonly made = new Map<string, Promise<string | undefined>>();

  make(directory: string, mode: number): Promise<string | undefined> {
    let making = this.made.get(directory);
    if (making === undefined) {
      making = mkdir(directory, { recursive: true, mode });
      // A failure is not remembered: the next file tries again and gets its own error.
      making.catch(() => this.made.delete(directory));
      this.made.set(directory, making);
    }
    return making;
  }
}

/**
 * One attempt at staging a small file: stat, compare with an existing destination, copy into a temp file
 * hashing on the way, read back, stat the source again. `too-large` when the source is one read or more
 * (the caller copies it alone). Throws like copyVerified; nothing is left behind when it does.
 */
export async function stageSmallCopy(
  settings: Settings,
  attempt: number,
  directories: DirectoryMaker,
): Promise<StageOutcome> {
  const { source, destination, signal } = settings;
  signal?.throwIfAborted();
  const before = await statSource(source);
  if (before.size >= settings.highWaterMark) return { kind: 'too-large' };
  const sourceMtimeMs = Number(before.mtimeNs) / 1e6;
  const existing = await statIfExists(destination);
  if (existing !== undefined) {
    const digest = await compareWithExisting(settings, before, existing, attempt);
    if (digest !== undefined) return { kind: 'identical', digest, sourceMtimeMs };
  }
  const createdDirectory = await directories.make(dirname(destination), settings.directoryMode);
  const tempPath = join(dirname(destination), temporaryName(basename(destination), settings.partialTag));
  // `wx+` (O_EXCL): a stale file is never written into; read-write, so the read-back needs no second open.
  const handle = await open(tempPath, 'wx+', settings.fileMode);
  try {
    const data = await readWhole(settings, Number(before.size), attempt);
    const checksums = new Checksums({ md5: true });
    checksums.update(data);
    const digest = checksums.digest();
    await writeAll(handle, data);
    await settings.hooks?.afterWrite?.(tempPath);
    await verifyReadBack(handle, data, settings, attempt, digest.sha256);
    // After the read-back, so the window between the two stats covers the whole copy.
    if (changed(before, await statSource(source))) throw new SourceChangedError(source, attempt);
    signal?.throwIfAborted();
    const staged: StagedCopy = {
      settings,
      tempPath,
      handle,
      digest,
      sourceMtimeMs,
      replacing: existing !== undefined,
      createdDirectory,
    };
    settings.inspectContent?.(data);
    return { kind: 'staged', staged };
  } catch (error) {
    await discard(handle, tempPath);
    throw error;
  }
}

/**
 * Makes staged copies durable and visible: every temp file fsynced (in parallel, so the file system can
 * commit them together), renamed into place, then each destination directory (and each directory created
 * on the way) fsynced once. Returns, per staged copy, its error or undefined once it is in place; temp files
 * of failed copies are removed.
 */
export async function placeStagedCopies(batch: readonly StagedCopy[]): Promise<(unknown | undefined)[]> {
  const errors: (unknown | undefined)[] = batch.map(() => undefined);
  const placed = batch.map(() => false);
  try {
    await Promise.all(
      batch.map(async ({ handle }, index) => {
        await handle.sync().catch((error: unknown) => {
          errors[index] = error;
        });
      }),
    );
    await Promise.all(
      batch.map(async (staged, index) => {
        if (errors[index] !== undefined) return;
        try {
          await placeFile(staged.settings, staged.tempPath, staged.replacing, false);
          placed[index] = true;
        } catch (error) {
          errors[index] = error;
        }
      }),
    );
    await syncDirectoriesOf(batch, placed, errors);
  } finally {
    await Promise.all(
      batch.map(({ handle, tempPath }, index) =>
        placed[index] ? handle.close() : discard(handle, tempPath),
      ),
    );
  }
  return errors;
}

/** One fsync per destination directory, and per chain of directories created, for the copies placed. */
async function syncDirectoriesOf(
  batch: readonly StagedCopy[],
  placed: boolean[],
  errors: (unknown | undefined)[],
): Promise<void> {
  const byDirectory = new Map<string, { created: string | undefined; indexes: number[] }>();
  batch.forEach(({ settings, createdDirectory }, index) => {
    if (!placed[index]) return;
    const directory = resolve(dirname(settings.destination));
    const entry = byDirectory.get(directory) ?? { created: undefined, indexes: [] };
    entry.created ??= createdDirectory;
    entry.indexes.push(index);
    byDirectory.set(directory, entry);
  });
  await Promise.all(
    [...byDirectory].map(async ([directory, { created, indexes }]) => {
      try {
        await fsyncDirectory(directory);
        await syncCreatedDirectories(directory, created);
      } catch (error) {
        // In place but perhaps not durable: reported, so the file is taken again (as identical) later.
        for (const index of indexes) errors[index] = error;
      }
    }),
  );
}

/** The whole source in one buffer; a source that is now shorter or longer than its stat said has changed. */
async function readWhole(settings: Settings, size: number, attempt: number): Promise<Buffer> {
  return withSource(settings, async (handle) => {
    // One byte more than expected, to see a file that grew since its stat.
    const content = await readFrom(handle, size + 1);
    if (content.length !== size) throw new SourceChangedError(settings.source, attempt);
    return content;
  });
}

/** Reads the temp file back through its handle and compares it byte for byte with what was written. */
async function verifyReadBack(
  handle: FileHandle,
  written: Buffer,
  settings: Settings,
  attempt: number,
  sha256: string,
): Promise<void> {
  const readBack = await readFrom(handle, written.length + 1);
  if (!readBack.equals(written)) {
    const actual = createHash('sha256').update(readBack).digest('hex');
    throw new ChecksumMismatchError(settings.source, settings.destination, attempt, sha256, actual);
  }
}

/** A write may stop short (a disk filling up); the next one then says why (ENOSPC). */
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  for (let written = 0; written < data.length; ) {
    const { bytesWritten } = await handle.write(data, written, data.length - written, written);
    written += bytesWritten;
  }
}

/** Up to `limit` bytes from the start of the file (fewer at its end). */
async function readFrom(handle: FileHandle, limit: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(limit);
  let filled = 0;
  while (filled < limit) {
    const { bytesRead } = await handle.read(buffer, filled, limit - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Closes and removes a temp file that will not be placed; one that cannot be removed is left to the sweep. */
async function discard(handle: FileHandle, tempPath: string): Promise<void> {
  await handle.close().catch(() => undefined);
  await rm(tempPath, { force: true }).catch(() => undefined);
}
