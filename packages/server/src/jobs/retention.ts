/**
 * `dm job history` keeps ended jobs for `jobRetentionDays` (0: forever). Older ones are deleted in batches,
 * with the logs of jobs that had no experiment; an experiment's job logs stay with its data under `system/`.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceContext } from '../context.ts';

const batchSize = 500;

export async function deleteExpiredJobs(context: ServiceContext): Promise<number> {
  const days = context.settings.jobRetentionDays;
  if (days === 0) return 0;
  const before = new Date(Date.parse(context.now()) - days * 86_400_000).toISOString();
  let deleted = 0;
  for (;;) {
    const rows = await context.db
      .selectFrom('jobs')
      .select(['id', 'experiment_id'])
      .where('status', 'in', ['done', 'failed', 'aborted'])
      .where('end_time', '<', before)
      .limit(batchSize)
      .execute();
    if (rows.length === 0) break;
    const ids = rows.map((row) => row.id);
    await context.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('job_processes').where('job_id', 'in', ids).execute();
      await trx.deleteFrom('job_stages').where('job_id', 'in', ids).execute();
      await trx.deleteFrom('jobs').where('id', 'in', ids).execute();
    });
    for (const row of rows)
      if (row.experiment_id === null)
        await rm(join(context.settings.dataDir, 'jobs', String(row.id)), { recursive: true, force: true });
    deleted += rows.length;
  }
  if (deleted > 0) context.logger.info({ deleted, before }, 'deleted expired jobs');
  return deleted;
}
