/**
 * The MD5 of a large file in a worker thread, so it runs on the second core while the copy pass hashes
 * SHA-256 and writes on the first: MD5 is the slower hash here (about 470-700 MiB/s a core against 1,500
 * for SHA-256 with the CPU's SHA extensions, docs/benchmarks.md) and cannot be split within a file.
 *
 * The worker reads the source itself (page cache, the same bytes the copy pass reads); the copy's stat of
 * the source before and after both reads proves they saw the same file. It is plain JavaScript evaluated
 * without tsx (`execArgv: []`), so it starts in milliseconds rather than loading the TypeScript loader.
 */
import { Worker } from 'node:worker_threads';

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const { path, chunkBytes } = workerData;
const hash = createHash('md5');
const buffer = Buffer.allocUnsafe(chunkBytes);
const fd = openSync(path, 'r');
let size = 0;
try {
  for (;;) {
    const read = readSync(fd, buffer, 0, chunkBytes, null);
    if (read === 0) break;
    hash.update(read === chunkBytes ? buffer : buffer.subarray(0, read));
    size += read;
  }
} finally {
  closeSync(fd);
}
parentPort.postMessage({ md5: hash.digest('hex'), size });
`;

/**
 * @example
 * const { md5, size } = await md5InWorker('/detector/scan_0001.h5', 4 << 20);
 */
export function md5InWorker(
  path: string,
  chunkBytes: number,
  signal?: AbortSignal,
): Promise<{ md5: string; size: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, execArgv: [], workerData: { path, chunkBytes } });
    const abort = () => {
      void worker.terminate();
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
    let result: { md5: string; size: number } | undefined;
    worker.once('message', (message: { md5: string; size: number }) => {
      result = message;
    });
    // An error in the worker (the source vanished: ENOENT with its path) rejects like a read here would.
    worker.once('error', reject);
    worker.once('exit', (code) => {
      signal?.removeEventListener('abort', abort);
      if (result) resolve(result);
      else reject(new Error(`the MD5 worker for ${path} ended with code ${code} and no result`));
    });
  });
}
