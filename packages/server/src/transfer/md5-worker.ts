/**
 * The MD5 of a large file in a worker thread, so it runs on the second core while the copy pass hashes
 * SHA-256 and writes on the first: MD5 is the slower hash here (about 470-700 MiB/s a core against 1,500
 * for SHA-256 with the CPU's SHA extensions, docs/benchmarks.md) and cannot be split within a file.
 *
 * The worker reads the source itself (page cache, the same bytes the copy pass reads) through the copy's
 * own descriptor (threads share the process' descriptors; it was checked by openSource, so the path is
 * never opened again), with explicit positions so neither moves the other's reads. The copy closes it,
 * after the worker has exited. The copy's stat of the source before and after both reads proves they saw
 * the same file. It is plain JavaScript evaluated
 * without tsx (`execArgv: []`), so it starts in milliseconds rather than loading the TypeScript loader.
 */
import { Worker } from 'node:worker_threads';

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { readSync } = require('node:fs');
const { fd, chunkBytes } = workerData;
const hash = createHash('md5');
const buffer = Buffer.allocUnsafe(chunkBytes);
let size = 0;
for (;;) {
  const read = readSync(fd, buffer, 0, chunkBytes, size);
  if (read === 0) break;
  hash.update(read === chunkBytes ? buffer : buffer.subarray(0, read));
  size += read;
}
parentPort.postMessage({ md5: hash.digest('hex'), size });
`;

/**
 * Settles only once the worker has exited, so the caller may then close `fd` (the worker never does).
 *
 * @example
 * const source = await openSource({ source: '/detector/scan_0001.h5', sourceRoot: '/detector' });
 * const { md5, size } = await md5InWorker(source.fd, '/detector/scan_0001.h5', 4 << 20);
 * await source.close();
 */
export function md5InWorker(
  fd: number,
  path: string,
  chunkBytes: number,
  signal?: AbortSignal,
): Promise<{ md5: string; size: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, execArgv: [], workerData: { fd, chunkBytes } });
    let aborted = false;
    const abort = () => {
      aborted = true;
      void worker.terminate();
    };
    signal?.addEventListener('abort', abort, { once: true });
    let result: { md5: string; size: number } | undefined;
    worker.once('message', (message: { md5: string; size: number }) => {
      result = message;
    });
    let failure: unknown;
    // An error in the worker (a read failing) rejects like a read here would, once the worker has exited.
    worker.once('error', (error) => {
      failure = error;
    });
    worker.once('exit', (code) => {
      signal?.removeEventListener('abort', abort);
      if (aborted) reject(signal?.reason);
      else if (result) resolve(result);
      else reject(failure ?? new Error(`the MD5 worker for ${path} ended with code ${code} and no result`));
    });
  });
}
