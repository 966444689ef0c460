/**
 * The reader worker's code (see hdf5-reader.ts): loads h5wasm once, says `ready`, then answers one
 * `{path, limits}` message at a time with an `ExtractResult`. Imported anywhere else, it does nothing.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { defined } from '../errors/defined.ts';
import { extractMetadata } from './hdf5-extract.ts';
import type { MetadataLimits } from './hdf5-metadata.ts';

/** Marks the worker this file is meant to serve, so an accidental import never hijacks another thread. */
export const metadataWorkerRole = 'photon-dm-hdf5-metadata-reader';

export interface ReadRequest {
  path: string;
  limits: MetadataLimits;
}

if (!isMainThread && workerData?.role === metadataWorkerRole) void serveReads();

async function serveReads(): Promise<void> {
  const port = defined(parentPort, "the metadata worker's parent port");
  const h5wasm = await import('h5wasm/node');
  const module = await h5wasm.ready;
  port.on('message', ({ path, limits }: ReadRequest) => {
    port.postMessage(extractMetadata(h5wasm, module, path, limits));
  });
  port.postMessage('ready');
}
