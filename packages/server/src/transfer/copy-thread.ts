/**
 * The copy worker's code (see copy-worker.ts): copies the batches it is sent with `copyVerifiedBatch`, in its
 * own thread, and answers each with one result per file. Imported anywhere else, it does nothing.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { hasHdf5Signature } from '../catalog/hdf5-metadata.ts';
import { defined } from '../errors/defined.ts';
import type { CopyOptions, CopyResult } from './copy-steps.ts';
import { type SerializedError, serializeError } from './errors.ts';
import { copyVerifiedBatch } from './verified-copy.ts';

/** Marks the worker this file is meant to serve, so an accidental import never hijacks another thread. */
export const copyWorkerRole = 'photon-dm-copy-worker';

/** What can cross into the worker: no callbacks, no signal. */
export type WorkerCopyOptions = Omit<CopyOptions, 'hooks' | 'signal' | 'inspectContent'>;

export interface CopyBatchRequest {
  id: number;
  items: WorkerCopyOptions[];
}

/** `hdf5Signature`: whether a small file carries one (undefined for files too large to be looked at). */
export type WorkerCopyOutcome =
  | { ok: true; result: CopyResult; hdf5Signature: boolean | undefined }
  | { ok: false; error: SerializedError };

export interface CopyBatchReply {
  id: number;
  outcomes: WorkerCopyOutcome[];
}

if (!isMainThread && workerData?.role === copyWorkerRole) serveCopies();

function serveCopies(): void {
  const port = defined(parentPort, "the copy worker's parent port");
  port.on('message', async ({ id, items }: CopyBatchRequest) => {
    const signatures: (boolean | undefined)[] = items.map(() => undefined);
    const results = await copyVerifiedBatch(
      items.map((item, index) => ({
        ...item,
        inspectContent: (content: Buffer) => {
          signatures[index] = hasHdf5Signature(content);
        },
      })),
    );
    const outcomes = results.map(
      (result, index): WorkerCopyOutcome =>
        result.status === 'fulfilled'
          ? { ok: true, result: result.value, hdf5Signature: signatures[index] }
          : { ok: false, error: serializeError(result.reason) },
    );
    port.postMessage({ id, outcomes } satisfies CopyBatchReply);
  });
  port.postMessage('ready');
}
