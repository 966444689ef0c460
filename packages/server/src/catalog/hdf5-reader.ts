/**
 * The metadata reader: reads HDF5/NeXus files in its own worker thread (hdf5-reader-worker.ts), one file at a
 * time, with a watchdog that terminates a worker stuck inside the HDF5 library. `createApp` makes one per
 * app and hands it to services as `context.metadataReader`, so two apps in one process (tests, benchmarks)
 * each have their own worker and queue, and closing one never stops the other's reads.
 */
import { resolve } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startTypeScriptWorker } from '../system/typescript-worker.ts';
import type { ExtractResult } from './hdf5-extract.ts';
import {
  defaultMetadataLimits,
  emptyMetadata,
  type FileContentMetadata,
  findHdf5Superblock,
  type Hdf5Superblock,
  type MetadataLimits,
  messageOf,
} from './hdf5-metadata.ts';
import { metadataWorkerRole, type ReadRequest } from './hdf5-reader-worker.ts';

export interface MetadataReader {
  /**
   * Reads the attributes and small datasets of an HDF5/NeXus file, and the shape and type of its large
   * datasets. Never throws: an unreadable file comes back with `error` set. Soft and external links are not
   * followed. A file that is not HDF5 is `format: 'unknown'` and costs a few bytes of reading.
   */
  read(path: string, limits?: Partial<MetadataLimits>): Promise<FileContentMetadata>;
  /**
   * Stops the worker (a read in progress ends with an error); the next read starts a new one. An idle worker
   * does not keep the process alive, so this is for an orderly shutdown (`App.close`) and for tests.
   */
  stop(): Promise<void>;
}

/**
 * @example
 * const reader = createMetadataReader();
 * const meta = await reader.read('/data/scan_0001.nxs');
 * meta.values['entry/title']; // 'My scan'
 * meta.values['entry@NX_class']; // 'NXentry'
 * meta.datasets['entry/data/data']; // { shape: [10, 256, 256], dtype: 'uint16' }
 * await reader.stop();
 */
export function createMetadataReader(): MetadataReader {
  // One worker, like the WASM instance it holds; the queue sends it one file at a time, so a watchdog that
  // fires always knows which read is stuck.
  let worker: Promise<Worker> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const stop = async () => {
    const starting = worker;
    worker = undefined;
    await (await starting?.catch(() => undefined))?.terminate();
  };

  const started = (): Promise<Worker> => {
    worker ??= startWorker().catch((error: unknown) => {
      worker = undefined;
      throw error;
    });
    return worker;
  };

  const readInWorker = async (path: string, limits: MetadataLimits): Promise<FileContentMetadata> => {
    const failed = (error: string): FileContentMetadata => ({ ...emptyMetadata('hdf5'), error });
    let thread: Worker;
    try {
      thread = await started();
    } catch (error) {
      return failed(`cannot start the HDF5 reader: ${messageOf(error)}`);
    }
    return new Promise((resolve) => {
      const finish = (metadata: FileContentMetadata, recycleWorker: boolean) => {
        clearTimeout(watchdog);
        thread.off('message', onReply).off('error', onError).off('exit', onExit);
        // Waiting for the worker to end means the file it had open is closed when the caller hears back.
        resolve(recycleWorker ? stop().then(() => metadata) : metadata);
      };
      const onReply = ({ metadata, wasmBroken }: ExtractResult) => finish(metadata, wasmBroken);
      const onError = (error: Error) => finish(failed(`the HDF5 reader failed: ${messageOf(error)}`), true);
      const onExit = () => finish(failed('the HDF5 reader stopped'), true);
      const watchdog = setTimeout(() => {
        finish(failed(`gave up after ${limits.giveUpAfterMs} ms: the HDF5 library did not return`), true);
      }, limits.giveUpAfterMs);
      thread.on('message', onReply).once('error', onError).once('exit', onExit);
      thread.postMessage({ path, limits } satisfies ReadRequest);
    });
  };

  return {
    async read(path, limits = {}) {
      const absolutePath = resolve(path);
      const early = await checkBeforeReading(absolutePath);
      if (early !== undefined) return early;
      const run = queue.then(() => readInWorker(absolutePath, { ...defaultMetadataLimits, ...limits }));
      queue = run.catch(() => undefined);
      return run;
    },
    stop,
  };
}

/**
 * The answer for files the worker need not see: not HDF5, unreadable, or shorter than their superblock
 * says. HDF5 refuses the last too, but only after printing its error stack to stderr; and a file this short
 * is most likely one a detector is still writing, which the message should say.
 */
async function checkBeforeReading(path: string): Promise<FileContentMetadata | undefined> {
  let superblock: Hdf5Superblock | undefined;
  try {
    superblock = await findHdf5Superblock(path);
  } catch (error) {
    return { ...emptyMetadata('unknown'), error: messageOf(error) };
  }
  if (superblock === undefined) return emptyMetadata('unknown');
  const { fileSize, storedEndOfFile } = superblock;
  if (storedEndOfFile !== undefined && fileSize < storedEndOfFile) {
    const error = `truncated HDF5 file: ${fileSize} bytes on disk, its superblock records ${storedEndOfFile} (still being written?)`;
    return { ...emptyMetadata('hdf5'), error };
  }
  return undefined;
}

/** Resolves once the worker has loaded h5wasm and said `ready`. */
function startWorker(): Promise<Worker> {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const module = new URL(`./hdf5-reader-worker.${extension}`, import.meta.url);
  return startTypeScriptWorker(module, { role: metadataWorkerRole });
}
