/**
 * Who reads an experiment, as SQL other concepts put in their queries: its members and the managers of its
 * station (policy.ts says the same for one experiment at a time).
 */
import type { ExpressionBuilder } from 'kysely';
import type { Database } from '../db/tables.ts';

/** The tables of a query over experiments aliased `e` (`selectFrom('experiments as e')`). */
type WithExperimentE = Database & { e: Database['experiments'] };

/**
 * The read rule in SQL, for a query over `experiments as e`: the user is a member of the experiment or
 * manages its station. One copy, for the experiment lists and the storage reads alike.
 *
 * @example
 * db.selectFrom('experiments as e').select('e.id').where((eb) => readsExperiment(eb, userId))
 */
export function readsExperiment(eb: ExpressionBuilder<WithExperimentE, 'e'>, userId: number) {
  return eb.or([
    eb(
      'e.id',
      'in',
      eb.selectFrom('experiment_members').select('experiment_id').where('user_id', '=', userId),
    ),
    eb(
      'e.station_id',
      'in',
      eb.selectFrom('station_managers').select('station_id').where('user_id', '=', userId),
    ),
  ]);
}
