import type { LeasedTable } from '../claims/leases.ts';
import type { ServiceContext } from '../context.ts';
import type { ExperimentRecord } from '../experiments/lookup.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import { partialTagOf, transferTag } from '../storage/partial-names.ts';
import { removePartialFiles } from './verified-copy.ts';

/**
 * Removes the partial copies a crashed transfer left in an experiment's data directory, as a transfer starts
 * (or resumes after its process was killed). A live copy's partial file must never be touched:
 * - when no other transfer runs into the experiment, no copy is live, so every partial file goes;
 * - when others run, only the starting transfer's own (its tag, `upload-12`, is in their names): they were
 *   written by a process that held this transfer's lease before, which is gone now that the lease is ours.
 * The rest (untagged ones of other transfers, e.g. older versions) wait for the age-based sweep
 * (retention/partial-sweep.ts).
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
  const othersRunning = counts.some((row) => Number(row.n) > 0);
  const ownTag = transferTag(starting.table === 'uploads' ? 'upload' : 'daq', starting.id);
  const removed = await removePartialFiles(
    pathsOf(context, experiment).dataDirectory,
    othersRunning ? (name) => partialTagOf(name) === ownTag : undefined,
  );
  if (removed.length > 0)
    context.logger.warn(
      { experiment: experiment.name, removed, transfer: ownTag, onlyOwn: othersRunning },
      'removed partial files left by an interrupted transfer',
    );
  return removed;
}
