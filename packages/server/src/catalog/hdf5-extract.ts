/**
 * The walk through an HDF5 file with h5wasm that collects its metadata (see hdf5-metadata.ts for the words).
 * Runs only inside the reader worker (hdf5-reader-worker.ts): a corrupted file can make these calls loop
 * forever or abort the WASM instance.
 */
import type { Metadata } from 'h5wasm/node';
import {
  type DatasetSummary,
  type FileContentMetadata,
  type MetadataLimits,
  type MetadataScalar,
  type MetadataValue,
  messageOf,
} from './hdf5-metadata.ts';

export type H5wasm = typeof import('h5wasm/node');
export type H5Module = Awaited<H5wasm['ready']>;

/** What the worker answers for one file: `wasmBroken` asks the reader to replace the worker. */
export interface ExtractResult {
  metadata: FileContentMetadata;
  wasmBroken: boolean;
}

// A fixed-length string can be megabytes per element; past this a dataset is "large" whatever its count.
const maxSmallValueBytes = 1 << 20;

/**
 * Reads one file's attributes and small datasets, and the shape and type of its large ones. Never throws:
 * problems end up in the result's `error`.
 *
 * @example
 * const h5wasm = await import('h5wasm/node');
 * extractMetadata(h5wasm, await h5wasm.ready, '/data/scan_0001.nxs', defaultMetadataLimits);
 */
export function extractMetadata(
  h5wasm: H5wasm,
  module: H5Module,
  path: string,
  limits: MetadataLimits,
): ExtractResult {
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
  const [only] = values;
  return values.length === 1 && only !== undefined ? only : values;
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
