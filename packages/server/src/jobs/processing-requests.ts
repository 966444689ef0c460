/**
 * A DAQ started with `--workflow` records a processing request for each file it catalogs, in the same
 * transaction as the catalog record, so no file's job can be lost. This turns each request into a job, once:
 * the request is claimed by a guarded update in the transaction that inserts the job.
 *
 * The workflow is `name` (owned by whoever started the DAQ) or `owner/name`. A request naming a workflow
 * that does not exist fails with that reason, recorded on the request.
 */
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import { AppError } from '../errors/app-error.ts';
import { defined } from '../errors/defined.ts';
import { findExperimentById } from '../experiments/lookup.ts';
import { findWorkflow } from '../workflows/lookup.ts';
import { mayRun } from '../workflows/scope.ts';
import { insertJobs } from './start.ts';

const batchSize = 200;

export async function dispatchProcessingRequests(context: ServiceContext): Promise<number> {
  const { db } = context;
  const requests = await db
    .selectFrom('processing_requests as r')
    .leftJoin('daqs as d', (join) => join.onRef('d.id', '=', 'r.origin_id').on('r.origin_type', '=', 'daq'))
    .leftJoin('users as u', 'u.username', 'd.created_by')
    .select([
      'r.id',
      'r.experiment_id',
      'r.file_path',
      'r.workflow',
      'r.workflow_args',
      'r.origin_type',
      'r.origin_id',
      'd.created_by',
      'u.id as user_id',
      'u.is_admin',
    ])
    .where('r.status', '=', 'waiting_for_engine')
    .orderBy('r.id')
    .limit(batchSize)
    .execute();
  let started = 0;
  for (const request of requests) {
    const slash = request.workflow.indexOf('/');
    const owner = slash > 0 ? request.workflow.slice(0, slash) : (request.created_by ?? '');
    const name = slash > 0 ? request.workflow.slice(slash + 1) : request.workflow;
    const found = await findWorkflow(db, owner, name);
    const experiment = await findExperimentById(db, request.experiment_id);
    // The DAQ's creator must be allowed to run it on this experiment (workflows/scope.ts): a workflow
    // outside their scope is reported as missing, as it is to them through the API.
    const asker =
      request.user_id === null || request.created_by === null
        ? null
        : { userId: request.user_id, username: request.created_by, isAdmin: request.is_admin === 1 };
    const workflow =
      found && asker && experiment && (await mayRun(db, asker, owner, experiment)) ? found : undefined;
    const problem =
      !experiment || asker === null
        ? 'the DAQ or experiment that asked for it is gone'
        : !workflow
          ? `no workflow "${name}" of owner "${owner}"`
          : undefined;
    const jobId = await db
      .transaction()
      .execute(async (trx) => {
        const claimed = await trx
          .updateTable('processing_requests')
          .set({ status: problem ? 'failed' : 'job_started', error: problem ?? null })
          .where('id', '=', request.id)
          .where('status', '=', 'waiting_for_engine')
          .executeTakeFirst();
        if (claimed.numUpdatedRows === 0n || problem || !workflow || !experiment) return undefined;
        const [id] = await insertJobs(context, trx, [
          {
            workflow,
            experiment,
            filePath: request.file_path,
            arguments: decodeJson<Record<string, string>>(context.profile, request.workflow_args),
            submittedBy: request.user_id as number,
            shareKey: `${request.origin_type}:${request.origin_id}`,
          },
        ]);
        await trx
          .updateTable('processing_requests')
          .set({ job_id: defined(id, 'the new job') })
          .where('id', '=', request.id)
          .execute();
        return id;
      })
      .catch(async (error: unknown) => {
        // Arguments a job refuses (a reserved name) would refuse it forever: fail the request, say why.
        if (!(error instanceof AppError)) throw error;
        await db
          .updateTable('processing_requests')
          .set({ status: 'failed', error: error.message })
          .where('id', '=', request.id)
          .where('status', '=', 'waiting_for_engine')
          .execute();
        context.logger.warn(
          { requestId: request.id, problem: error.message },
          'processing request not started',
        );
        return undefined;
      });
    if (problem) context.logger.warn({ requestId: request.id, problem }, 'processing request not started');
    if (jobId !== undefined) started++;
  }
  return started;
}
