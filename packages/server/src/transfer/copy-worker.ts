/**
 * Verified copies in a worker thread of their own, so the server's main thread (HTTP, the catalog's
 * transactions, finding files) is not also the thread that hashes every byte and waits on a dozen
 * file-system calls per file: with small files those calls, not the disk, were what limited a DAQ
 * (docs/benchmarks.md, "DAQ end to end"). `createApp` makes one per app (`context.copyWorker`); the worker
 * starts with the first batch and several batches may be in it at once.
 */
import type { Worker } from 'node:worker_threads';
import { startTypeScriptWorker } from '../system/typescript-worker.ts';
import type { CopyResult } from './copy-steps.ts';
import type {
  CopyBatchReply,
  CopyBatchRequest,
  WorkerCopyOptions,
  WorkerCopyOutcome,
} from './copy-thread.ts';
import { copyWorkerRole } from './copy-thread.ts';
import { reviveError } from './errors.ts';

export type { WorkerCopyOptions } from './copy-thread.ts';

/** A copy's result, and for a small file whether it carries an HDF5 signature (looked for in memory). */
export type WorkerCopied = CopyResult & { hdf5Signature: boolean | undefined };

export interface CopyWorker {
  /**
   * Copies the files as `copyVerifiedBatch` does, one result per file, in order. Rejects as a whole only if
   * the worker itself fails (then no file of the batch is known to be copied: take them again).
   */
  copyBatch(items: readonly WorkerCopyOptions[]): Promise<PromiseSettledResult<WorkerCopied>[]>;
  /** Ends the worker; batches in it reject. The next batch starts a new one. */
  stop(): Promise<void>;
}

/**
 * @example
 * const copies = createCopyWorker();
 * const [result] = await copies.copyBatch([{ source, destination, onExisting: 'skip-identical-else-refuse' }]);
 * await copies.stop();
 */
export function createCopyWorker(): CopyWorker {
  let worker: Promise<Worker> | undefined;
  let nextId = 1;
  const waiting = new Map<
    number,
    { resolve(outcomes: WorkerCopyOutcome[]): void; reject(error: Error): void }
  >();

  const failAll = (error: Error) => {
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  const started = (): Promise<Worker> => {
    worker ??= startTypeScriptWorker(copyThreadUrl(), { role: copyWorkerRole }).then(
      (thread) => {
        thread.on('message', ({ id, outcomes }: CopyBatchReply) => {
          waiting.get(id)?.resolve(outcomes);
          waiting.delete(id);
          if (waiting.size === 0) thread.unref();
        });
        thread.once('error', (error) => failAll(new Error(`the copy worker failed: ${error.message}`)));
        thread.once('exit', (code) => {
          worker = undefined;
          failAll(new Error(`the copy worker stopped (exit code ${code})`));
        });
        return thread;
      },
      (error: unknown) => {
        worker = undefined;
        throw error;
      },
    );
    return worker;
  };

  return {
    async copyBatch(items) {
      if (items.length === 0) return [];
      const thread = await started();
      const id = nextId++;
      const outcomes = new Promise<WorkerCopyOutcome[]>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
      });
      // Kept alive while it holds copies: a server being stopped waits for them.
      thread.ref();
      thread.postMessage({ id, items: [...items] } satisfies CopyBatchRequest);
      return (await outcomes).map((outcome) =>
        outcome.ok
          ? { status: 'fulfilled', value: { ...outcome.result, hdf5Signature: outcome.hdf5Signature } }
          : { status: 'rejected', reason: reviveError(outcome.error) },
      );
    },
    async stop() {
      const starting = worker;
      worker = undefined;
      await (await starting?.catch(() => undefined))?.terminate();
    },
  };
}

function copyThreadUrl(): URL {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./copy-thread.${extension}`, import.meta.url);
}
