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
 */
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Metadata } from 'h5wasm/node';

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
// A fixed-length string can be megabytes per element; past this a dataset is "large" whatever its count.
const maxSmallValueBytes = 1 << 20;
const workerRole = 'photon-dm-hdf5-metadata-reader';

type H5wasm = typeof import('h5wasm/node');
type H5Module = Awaited<H5wasm['ready']>;
type ReadRequest = { path: string; limits: MetadataLimits };
type ReadReply = { metadata: FileContentMetadata; wasmBroken: boolean };

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
    for (let offset = 0; offset + 8 <= stats.size; offset = offset === 0 ? 512 : offset * 2) {
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
 * Reads the attributes and small datasets of an HDF5/NeXus file, and the shape and type of its large datasets.
 * Never throws: an unreadable file comes back with `error` set. Soft and external links are not followed.
 *
 * @example
 * const meta = await readFileMetadata('/data/scan_0001.nxs');
 * meta.values['entry/title']; // 'My scan'
 * meta.values['entry@NX_class']; // 'NXentry'
 * meta.datasets['entry/data/data']; // { shape: [10, 256, 256], dtype: 'uint16' }
 */
export async function readFileMetadata(
  path: string,
  limits: Partial<MetadataLimits> = {},
): Promise<FileContentMetadata> {
  const absolutePath = resolve(path);
  let superblock: Hdf5Superblock | undefined;
  try {
    superblock = await findHdf5Superblock(absolutePath);
  } catch (error) {
    return { ...emptyMetadata('unknown'), error: messageOf(error) };
  }
  if (superblock === undefined) return emptyMetadata('unknown');
  const { fileSize, storedEndOfFile } = superblock;
  // HDF5 refuses these too, but only after printing its error stack to stderr; and a file this short is most
  // likely one a detector is still writing, which the message should say.
  if (storedEndOfFile !== undefined && fileSize < storedEndOfFile) {
    const error = `truncated HDF5 file: ${fileSize} bytes on disk, its superblock records ${storedEndOfFile} (still being written?)`;
    return { ...emptyMetadata('hdf5'), error };
  }
  return runExclusively(() => readInWorker(absolutePath, { ...defaultMetadataLimits, ...limits }));
}

/**
 * One flat map per file, as the catalog indexes it: the values, plus `<path>.shape` ('10x256x256') and
 * `<path>.dtype` for each large dataset.
 *
 * @example
 * flattenForCatalog(await readFileMetadata('/data/scan_0001.nxs'));
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

/**
 * Stops the reader worker; the next read starts a new one. An idle worker does not keep the process alive,
 * so this is for an orderly shutdown and for tests.
 *
 * @example
 * after(() => stopMetadataReader());
 */
export async function stopMetadataReader(): Promise<void> {
  const starting = readerWorker;
  readerWorker = undefined;
  await (await starting?.catch(() => undefined))?.terminate();
}

// One worker per process, like the WASM instance it holds; the queue sends it one file at a time, so a
// watchdog that fires always knows which read is stuck.
let readerWorker: Promise<Worker> | undefined;
let readQueue: Promise<unknown> = Promise.resolve();

function runExclusively<T>(task: () => Promise<T>): Promise<T> {
  const run = readQueue.then(task);
  readQueue = run.catch(() => undefined);
  return run;
}

function startedWorker(): Promise<Worker> {
  readerWorker ??= new Promise<Worker>((resolve, reject) => {
    // Workers do not inherit the parent's module hooks: from TypeScript sources the worker registers tsx
    // itself, as bin/dm.js does.
    const self = JSON.stringify(import.meta.url);
    const tsx = import.meta.url.endsWith('.ts')
      ? JSON.stringify(import.meta.resolve('tsx/esm/api'))
      : undefined;
    const source = tsx
      ? `import(${tsx}).then((t) => { t.register(); return import(${self}); })`
      : `import(${self})`;
    const worker = new Worker(source, { eval: true, workerData: { role: workerRole } });
    worker.unref();
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the reader worker exited with code ${code}`)));
  }).catch((error: unknown) => {
    readerWorker = undefined;
    throw error;
  });
  return readerWorker;
}

async function readInWorker(path: string, limits: MetadataLimits): Promise<FileContentMetadata> {
  const failed = (error: string): FileContentMetadata => ({ ...emptyMetadata('hdf5'), error });
  let worker: Worker;
  try {
    worker = await startedWorker();
  } catch (error) {
    return failed(`cannot start the HDF5 reader: ${messageOf(error)}`);
  }
  return new Promise((resolve) => {
    const finish = (metadata: FileContentMetadata, recycleWorker: boolean) => {
      clearTimeout(watchdog);
      worker.off('message', onReply).off('error', onError).off('exit', onExit);
      // Waiting for the worker to end means the file it had open is closed when the caller hears back.
      resolve(recycleWorker ? stopMetadataReader().then(() => metadata) : metadata);
    };
    const onReply = ({ metadata, wasmBroken }: ReadReply) => finish(metadata, wasmBroken);
    const onError = (error: Error) => finish(failed(`the HDF5 reader failed: ${messageOf(error)}`), true);
    const onExit = () => finish(failed('the HDF5 reader stopped'), true);
    const watchdog = setTimeout(() => {
      finish(failed(`gave up after ${limits.giveUpAfterMs} ms: the HDF5 library did not return`), true);
    }, limits.giveUpAfterMs);
    worker.on('message', onReply).once('error', onError).once('exit', onExit);
    worker.postMessage({ path, limits } satisfies ReadRequest);
  });
}

// This module is also the reader worker's code: started with its role in workerData, it serves reads.
if (!isMainThread && workerData?.role === workerRole) void serveReads();

async function serveReads(): Promise<void> {
  const port = parentPort!;
  const h5wasm = await import('h5wasm/node');
  const module = await h5wasm.ready;
  port.on('message', ({ path, limits }: ReadRequest) => {
    port.postMessage(readWithH5wasm(h5wasm, module, path, limits) satisfies ReadReply);
  });
  port.postMessage('ready');
}

function readWithH5wasm(h5wasm: H5wasm, module: H5Module, path: string, limits: MetadataLimits): ReadReply {
  const collector = new MetadataCollector(limits);
  try {
    // The node build mounts the host filesystem (NODERAWFS): an absolute host path opens the real file.
    const file = new h5wasm.File(path, 'r');
    if (file.file_id < 0n) collector.noteError('the HDF5 library could not open the file (corrupted?)');
    else {
      try {
        walkGroup({ module, fileId: file.file_id, collector }, '/', 0);
      } finally {
        file.close();
      }
    }
  } catch (error) {
    collector.noteError(error);
  }
  return { metadata: collector.result(), wasmBroken: collector.wasmBroken };
}

interface Walk {
  module: H5Module;
  fileId: bigint;
  collector: MetadataCollector;
}

function walkGroup(walk: Walk, groupPath: string, depth: number): void {
  const { module, fileId, collector } = walk;
  readAttributes(walk, groupPath);
  for (const name of module.get_names(fileId, groupPath, false)) {
    if (collector.halted()) return;
    const path = groupPath === '/' ? `/${name}` : `${groupPath}/${name}`;
    try {
      // Asked before get_type, which resolves links: resolving an external link would open another file.
      if (module.get_symbolic_link(fileId, path) !== null) continue;
      if ('filename' in module.get_external_link(fileId, path)) continue;
      const type = module.get_type(fileId, path);
      if (type === module.H5G_DATASET) readDataset(walk, path);
      else if (type === module.H5G_GROUP && depth + 1 > collector.limits.maxDepth) collector.truncated = true;
      else if (type === module.H5G_GROUP) walkGroup(walk, path, depth + 1);
    } catch (error) {
      // One broken object should not hide the rest of the file.
      collector.noteError(error, path);
    }
  }
}

function readDataset(walk: Walk, path: string): void {
  const { module, fileId, collector } = walk;
  const metadata = module.get_dataset_metadata(fileId, path);
  if (isSmall(metadata, collector.limits)) {
    const read = (pointer: bigint) => module.get_dataset_data(fileId, path, null, null, null, pointer);
    const reclaim = (pointer: bigint) => module.reclaim_vlen_memory(fileId, path, '', pointer);
    collector.add(keyOf(path), readSmallValue(module, metadata, read, reclaim, collector.limits));
  } else {
    collector.addDataset(keyOf(path), { shape: metadata.shape ?? [], dtype: describeDtype(metadata) });
  }
  readAttributes(walk, path);
}

function readAttributes({ module, fileId, collector }: Walk, path: string): void {
  for (const name of module.get_attribute_names(fileId, path)) {
    if (collector.halted()) return;
    try {
      const metadata = module.get_attribute_metadata(fileId, path, name);
      const read = (pointer: bigint) => module.get_attribute_data(fileId, path, name, pointer);
      const reclaim = (pointer: bigint) => module.reclaim_vlen_memory(fileId, path, name, pointer);
      const value = isSmall(metadata, collector.limits)
        ? readSmallValue(module, metadata, read, reclaim, collector.limits)
        : `(${(metadata.shape ?? []).join('x')} ${describeDtype(metadata)})`;
      collector.add(`${keyOf(path)}@${name}`, value);
    } catch (error) {
      collector.noteError(error, `${path}@${name}`);
    }
  }
}

function isSmall(metadata: Metadata, limits: MetadataLimits): boolean {
  if (metadata.shape === null) return true;
  return (
    metadata.total_size <= limits.maxSmallElements &&
    metadata.size * metadata.total_size <= maxSmallValueBytes
  );
}

function readSmallValue(
  module: H5Module,
  metadata: Metadata,
  read: (pointer: bigint) => number,
  reclaim: (pointer: bigint) => void,
  limits: MetadataLimits,
): MetadataValue {
  if (metadata.shape === null) return '(empty)';
  const { type, size } = metadata;
  const isNumber = (type === 0 || type === 8 || (type === 1 && size >= 4)) && [1, 2, 4, 8].includes(size);
  if (!isNumber && type !== 3) return `(${describeDtype(metadata)})`;
  const values = readElements(module, metadata, read, reclaim).map((element) =>
    toScalar(element, metadata, limits),
  );
  // NeXus writers often store a title or a name as a one-element array; searching wants the plain value.
  return values.length === 1 ? values[0]! : values;
}

/**
 * h5wasm's own `.value` frees variable-length strings even when HDF5 failed to read them; freeing those
 * garbage pointers aborts the WASM and leaks the file's descriptor. Here the buffer starts zeroed (a failed
 * read leaves null pointers to free) and a failed read is an error rather than garbage values.
 */
function readElements(
  module: H5Module,
  metadata: Metadata,
  read: (pointer: bigint) => number,
  reclaim: (pointer: bigint) => void,
): unknown[] {
  const { size, total_size: count } = metadata;
  const pointer = module._malloc(Math.max(size * count, 1));
  if (pointer === 0) throw new Error('out of WASM memory');
  try {
    module.HEAPU8.fill(0, pointer, pointer + size * count);
    try {
      if (read(BigInt(pointer)) < 0) throw new Error('HDF5 could not read a value (corrupted file?)');
      // HEAPU8 is replaced when the WASM memory grows, so it is looked up only after the read.
      const view = new DataView(module.HEAPU8.buffer, pointer, size * count);
      return Array.from({ length: count }, (_, index) => decodeElement(module, metadata, view, index * size));
    } finally {
      if (metadata.vlen) reclaim(BigInt(pointer));
    }
  } finally {
    module._free(pointer);
  }
}

/** h5wasm reads into little-endian memory types, whatever the file's byte order. */
function decodeElement(module: H5Module, metadata: Metadata, view: DataView, at: number): unknown {
  const { type, size, signed } = metadata;
  if (type === 3 && metadata.vlen) return module.UTF8ToString(view.getUint32(at, true));
  if (type === 3) {
    const bytes = new Uint8Array(view.buffer, view.byteOffset + at, size);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end));
  }
  if (type === 1) return size === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true);
  if (size === 1) return signed ? view.getInt8(at) : view.getUint8(at);
  if (size === 2) return signed ? view.getInt16(at, true) : view.getUint16(at, true);
  if (size === 4) return signed ? view.getInt32(at, true) : view.getUint32(at, true);
  return signed ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
}

function toScalar(element: unknown, metadata: Metadata, limits: MetadataLimits): MetadataScalar {
  if (metadata.enum_type !== undefined) {
    const name = Object.entries(metadata.enum_type.members).find(
      ([, value]) => value === Number(element),
    )?.[0];
    return isBooleanEnum(metadata) ? name === 'TRUE' : (name ?? String(element));
  }
  if (typeof element === 'string') return element.slice(0, limits.maxStringLength);
  if (typeof element === 'bigint')
    return Number.isSafeInteger(Number(element)) ? Number(element) : String(element);
  // NaN and Infinity do not survive JSON, where the catalog keeps metadata.
  if (typeof element === 'number') return Number.isFinite(element) ? element : String(element);
  return '(unreadable)';
}

/** h5py's convention for booleans, which NeXus files written from Python carry. */
function isBooleanEnum(metadata: Metadata): boolean {
  const names = Object.keys(metadata.enum_type?.members ?? {}).sort();
  return names.length === 2 && names[0] === 'FALSE' && names[1] === 'TRUE';
}

const typeClassNames = 'integer float time string bitfield opaque compound reference enum vlen array'.split(
  ' ',
);

function describeDtype(metadata: Metadata): string {
  if (metadata.type === 0) return `${metadata.signed ? 'int' : 'uint'}${metadata.size * 8}`;
  if (metadata.type === 1) return `float${metadata.size * 8}`;
  if (metadata.type === 8 && isBooleanEnum(metadata)) return 'bool';
  return typeClassNames[metadata.type] ?? 'unknown';
}

function keyOf(objectPath: string): string {
  return objectPath.replace(/^\//, '');
}

function emptyMetadata(format: FileContentMetadata['format']): FileContentMetadata {
  return { format, values: {}, datasets: {}, truncated: false };
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim().slice(0, 2000);
}

/** The walk's state: what was found so far, and the limits that stop it. */
class MetadataCollector {
  readonly values: Record<string, MetadataValue> = {};
  readonly datasets: Record<string, DatasetSummary> = {};
  /** Set by any limit; only the entry count, the time budget and a broken WASM also halt the walk. */
  truncated = false;
  wasmBroken = false;
  private stopped = false;
  private error: string | undefined;
  private entries = 0;
  private readonly deadline: number;

  constructor(readonly limits: MetadataLimits) {
    this.deadline = performance.now() + limits.timeBudgetMs;
  }

  halted(): boolean {
    if (!this.stopped && performance.now() >= this.deadline) this.halt();
    return this.stopped;
  }

  add(key: string, value: MetadataValue): void {
    if (this.takeEntry()) this.values[key] = value;
  }

  addDataset(key: string, summary: DatasetSummary): void {
    if (this.takeEntry()) this.datasets[key] = summary;
  }

  /** Keeps the first problem; h5wasm's own messages ("name not defined") need the object's path. */
  noteError(error: unknown, objectPath?: string): void {
    this.error ??= objectPath === undefined ? messageOf(error) : `${objectPath}: ${messageOf(error)}`;
    // A WebAssembly.RuntimeError (an Emscripten abort, a trap) leaves HDF5 mid-call: nothing more is asked of
    // this WASM instance, and its worker is replaced.
    if (error instanceof Error && error.name === 'RuntimeError') {
      this.wasmBroken = true;
      this.stopped = true;
    }
  }

  result(): FileContentMetadata {
    const { values, datasets, truncated, error } = this;
    return error === undefined
      ? { format: 'hdf5', values, datasets, truncated }
      : { format: 'hdf5', values, datasets, truncated, error };
  }

  private takeEntry(): boolean {
    if (this.entries >= this.limits.maxEntries) this.halt();
    if (this.stopped) return false;
    this.entries += 1;
    return true;
  }

  private halt(): void {
    this.stopped = true;
    this.truncated = true;
  }
}
