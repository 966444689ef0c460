/**
 * Recording a processing request: a file's request that a workflow process it, recorded where the file is
 * cataloged (take/pipeline.ts) and turned into a job by processing-requests.ts. It holds its own SQL, as
 * jobs' narrow interface for the take pipeline, the one other concept that writes processing requests.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';

/**
 * Records that a DAQ's workflow should process this file, in the caller's transaction (the catalog
 * record's), so a crash can never leave a file cataloged without its job. Once per DAQ and path: a file
 * taken again (a new version) keeps its first request.
 *
 * @example
 * await recordProcessingRequest(trx, { experimentId, path: 'run1/f.h5', workflow: 'xpcs', args: '{}', daqId, now });
 */
export async function recordProcessingRequest(
  db: Kysely<Database>,
  request: { experimentId: number; path: string; workflow: string; args: string; daqId: number; now: string },
): Promise<void> {
  await db
    .insertInto('processing_requests')
    .values({
      experiment_id: request.experimentId,
      file_path: request.path,
      workflow: request.workflow,
      workflow_args: request.args,
      origin_type: 'daq',
      origin_id: request.daqId,
      status: 'waiting_for_engine',
      created_at: request.now,
    })
    .onConflict((oc) => oc.columns(['origin_type', 'origin_id', 'file_path']).doNothing())
    .execute();
}
