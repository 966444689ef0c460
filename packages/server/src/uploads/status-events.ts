/**
 * The live events of an upload (docs/api.md, "Live events"): `upload.status` in the transaction of each
 * status change, and `upload.progress` with its counters at most once a second while it runs.
 */
import type { Kysely } from 'kysely';
import type { ServiceContext } from '../context.ts';
import type { Database, UploadStatus } from '../db/tables.ts';
import * as store from './store.ts';

function counters(upload: store.UploadRecord | store.Progress) {
  return {
    nFiles: upload.n_files ?? 0,
    nProcessedFiles: upload.n_processed_files,
    nSkippedFiles: upload.n_skipped_files,
    nProcessingErrors: upload.n_processing_errors,
    nBytes: upload.n_bytes ?? 0,
    nProcessedBytes: upload.n_processed_bytes,
    lastError: upload.last_error,
  };
}

/** Inside the transaction of the change; reads the upload's counters as that transaction sees them. */
export async function publishUploadStatus(
  context: ServiceContext,
  trx: Kysely<Database>,
  uploadId: number,
  status: UploadStatus,
  previousStatus: string | null,
): Promise<void> {
  const upload = await store.findUpload(trx, uploadId);
  if (!upload) return;
  await context.events.publish(trx, {
    type: 'upload.status',
    experimentId: upload.experiment_id,
    subjectId: upload.id,
    payload: { status, previousStatus, ...counters(upload) },
  });
}

/** `finishUpload` and its event, in one transaction. */
export async function finishUploadWithEvent(
  context: ServiceContext,
  uploadId: number,
  owner: string,
  status: 'done' | 'failed',
): Promise<void> {
  await context.db.transaction().execute(async (trx) => {
    if (await store.finishUpload(trx, uploadId, owner, status, context.now()))
      await publishUploadStatus(context, trx, uploadId, status, 'running');
  });
}

/** Publishes `upload.progress` when called at least a second after the last time. */
export function uploadProgressEvents(context: ServiceContext, upload: { id: number; experiment_id: number }) {
  let lastAt = Number.NEGATIVE_INFINITY;
  return async (progress: store.Progress): Promise<void> => {
    if (performance.now() - lastAt < 1_000) return;
    lastAt = performance.now();
    await context.events.publish(context.db, {
      type: 'upload.progress',
      experimentId: upload.experiment_id,
      subjectId: upload.id,
      payload: { status: 'running', ...counters(progress) },
    });
  };
}
