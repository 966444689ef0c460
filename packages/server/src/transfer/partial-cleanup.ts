import type { ServiceContext } from '../context.ts';
import type { ExperimentRecord } from '../experiments/store.ts';
import type { LeasedTable } from '../leases.ts';
import { pathsOf } from '../storage/lifecycle.ts';
import { removePartialFiles } from './verified-copy.ts';

/**
 * Removes the partial copies a crashed transfer left in an experiment's data directory, when the transfer
 * that is starting is the only one running into that experiment: a live copy's partial file must never be
 * touched, and only running transfers write them.
 */
export async function removeLeftoverPartials(
  context: ServiceContext,
  experiment: ExperimentRecord,
  starting: { table: LeasedTable; id: number },
): Promise<string[]> {
  const counts = await Promise.all(
    (['daqs', 'uploads'] as const).map((table) =>
      context.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('experiment_id', '=', experiment.id)
        .where('status', '=', 'running')
        .$if(table === starting.table, (query) => query.where('id', '!=', starting.id))
        .executeTakeFirstOrThrow(),
    ),
  );
  if (counts.some((row) => Number(row.n) > 0)) return [];
  const removed = await removePartialFiles(pathsOf(context, experiment).dataDirectory);
  if (removed.length > 0)
    context.logger.warn(
      { experiment: experiment.name, removed },
      'removed partial files left by an interrupted transfer',
    );
  return removed;
}
