/**
 * What an HDF5/NeXus file says about itself, for the file catalog.
 *
 * - value key: a slash path without the leading slash. `entry/title` is a small dataset, `entry@NX_class` an
 *   attribute of a group, `entry/sample/temperature@units` an attribute of a dataset, `@creator` an attribute
 *   of the root group.
 * - small dataset: a scalar, or at most `maxSmallElements` numbers or strings; its value is read.
 * - large dataset: anything bigger; only its shape and type are recorded, its data is never read.
 * - dtype: numpy-style names (`uint16`, `float64`, `string`, `bool`, `compound`, ...), byte order omitted.
 * - reader worker: the thread where h5wasm runs. A corrupted file can make the HDF5 library loop forever or
 *   abort; in a worker that costs a terminated thread instead of a frozen server.
 *
 * This file holds the words and what needs no HDF5 library; hdf5-reader.ts reads files (a `MetadataReader`
 * per app, with its worker and watchdog), hdf5-reader-worker.ts is the worker, hdf5-extract.ts the walk.
 */
import { open, stat } from 'node:fs/promises';

export type MetadataScalar = string | number | boolean;
export type MetadataValue = MetadataScalar | MetadataScalar[];

export interface DatasetSummary {
  shape: number[];
  dtype: string;
}

export interface FileContentMetadata {
  format: 'hdf5' | 'unknown';
  values: Record<string, MetadataValue>;
  datasets: Record<string, DatasetSummary>;
  /** A limit (entries, depth, time) stopped the walk before the whole file was seen. */
  truncated: boolean;
  /** Why the file, or part of it, could not be read; what was read before the problem is kept. */
  error?: string;
}

export interface MetadataLimits {
  /** Keys in `values` and `datasets` together. */
  maxEntries: number;
  /** Group nesting below the root; deeper groups are not entered. */
  maxDepth: number;
  maxStringLength: number;
  maxSmallElements: number;
  /** Checked between objects, so one slow HDF5 call can overrun it. */
  timeBudgetMs: number;
  /** A read still running after this long is stuck inside HDF5; its worker is terminated. */
  giveUpAfterMs: number;
}

export const defaultMetadataLimits: Readonly<MetadataLimits> = {
  maxEntries: 2000,
  maxDepth: 32,
  maxStringLength: 1024,
  maxSmallElements: 16,
  timeBudgetMs: 2000,
  giveUpAfterMs: 15_000,
};

export interface Hdf5Superblock {
  /** Where the signature was found: 0, or after a user block of 512, 1024, 2048, ... bytes. */
  offset: number;
  fileSize: number;
  /** The end-of-file address the writer recorded, when the superblock is a version we can parse. */
  storedEndOfFile: number | undefined;
}

const hdf5Signature = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Finds the HDF5 superblock where the HDF5 library looks for it: offset 0, then 512, 1024, 2048, ... (after a
 * user block). Reads a few bytes at each candidate offset, never the file's content.
 *
 * @example
 * await findHdf5Superblock('/data/scan_0001.nxs'); // { offset: 0, fileSize: 1316892, storedEndOfFile: 1316892 }
 * await findHdf5Superblock('/data/notes.txt'); // undefined
 */
export async function findHdf5Superblock(path: string): Promise<Hdf5Superblock | undefined> {
  const stats = await stat(path);
  // A FIFO or a device would block or never end; catalog files are regular files.
  if (!stats.isFile()) return undefined;
  const handle = await open(path, 'r');
  try {
    const header = Buffer.alloc(64);
    for (const offset of signatureOffsets(stats.size)) {
      const { bytesRead } = await handle.read(header, 0, header.length, offset);
      if (!header.subarray(0, 8).equals(hdf5Signature)) continue;
      return {
        offset,
        fileSize: stats.size,
        storedEndOfFile: readStoredEndOfFile(header.subarray(0, bytesRead)),
      };
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Whether a file's whole content carries the HDF5 signature where the library looks for it; the same answer
 * as `findHdf5Superblock`, for a copy that already holds the file in memory.
 *
 * @example
 * hasHdf5Signature(await readFile('/data/scan_0001.nxs')); // true
 */
export function hasHdf5Signature(content: Buffer): boolean {
  for (const offset of signatureOffsets(content.length)) {
    if (content.subarray(offset, offset + 8).equals(hdf5Signature)) return true;
  }
  return false;
}

/** 0, then 512, 1024, 2048, ... while a signature still fits in the file. */
function* signatureOffsets(fileSize: number): Generator<number> {
  for (let offset = 0; offset + 8 <= fileSize; offset = offset === 0 ? 512 : offset * 2) yield offset;
}

/** Superblock layouts from the HDF5 file format specification, section II.A. */
function readStoredEndOfFile(superblock: Buffer): number | undefined {
  const version = superblock[8] ?? -1;
  const fieldsStart = [24, 28, 12, 12][version];
  const offsetSize = version <= 1 ? superblock[13] : superblock[9];
  if (fieldsStart === undefined || (offsetSize !== 4 && offsetSize !== 8)) return undefined;
  // The base address, one more address (free-space info or superblock extension), then the end of file.
  const position = fieldsStart + 2 * offsetSize;
  if (superblock.length < position + offsetSize) return undefined;
  const address =
    offsetSize === 8 ? superblock.readBigUInt64LE(position) : BigInt(superblock.readUInt32LE(position));
  const undefinedAddress = (1n << BigInt(8 * offsetSize)) - 1n;
  return address !== undefinedAddress && address < BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(address)
    : undefined;
}

/**
 * One flat map per file, as the catalog indexes it: the values, plus `<path>.shape` ('10x256x256') and
 * `<path>.dtype` for each large dataset.
 *
 * @example
 * flattenForCatalog(await context.metadataReader.read('/data/scan_0001.nxs'));
 * // { 'entry/title': 'My scan', 'entry@NX_class': 'NXentry', 'entry/data/data.shape': '10x256x256', ... }
 */
export function flattenForCatalog(metadata: FileContentMetadata): Record<string, MetadataValue> {
  const flat: Record<string, MetadataValue> = { ...metadata.values };
  for (const [key, { shape, dtype }] of Object.entries(metadata.datasets)) {
    flat[`${key}.shape`] = shape.join('x');
    flat[`${key}.dtype`] = dtype;
  }
  return flat;
}

/** A result with nothing read (yet). */
export function emptyMetadata(format: FileContentMetadata['format']): FileContentMetadata {
  return { format, values: {}, datasets: {}, truncated: false };
}

/** An error as one bounded line of text, for a result's `error`. */
export function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim().slice(0, 2000);
}
