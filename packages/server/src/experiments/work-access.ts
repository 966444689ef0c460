/**
 * What DAQs and uploads share as work of an experiment: who may see one (whoever may read its experiment;
 * to anyone else it does not exist) and how one is stopped (by its experiment's managers, the end, its audit
 * record and its event in one transaction).
 */

import type { Kysely } from 'kysely';
import { auditWho, recordAudit } from '../audit/record.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import type { Database } from '../db/tables.ts';
import { AppError, type ErrorCode } from '../errors/app-error.ts';
import { loadManageable, requireReadableOwner } from './access.ts';
import type { ExperimentRecord } from './lookup.ts';

/** A DAQ or an upload, as its store returns it. */
export interface ExperimentWork {
  id: number;
  status: string;
  experiment_name: string;
}

const names = {
  daq: { one: 'DAQ', many: 'DAQs', notFound: 'daq_not_found' },
  upload: { one: 'upload', many: 'uploads', notFound: 'upload_not_found' },
} as const satisfies Record<string, { one: string; many: string; notFound: ErrorCode }>;

export type WorkKind = keyof typeof names;

/** The work `found` (undefined when there is none) if the actor may read its experiment, else not found. */
export async function readableWork<Work extends ExperimentWork>(
  context: ServiceContext,
  actor: Actor,
  kind: WorkKind,
  id: number,
  found: Work | undefined,
): Promise<Work> {
  const { one, notFound } = names[kind];
  const missing = () => new AppError(notFound, `no ${one} ${id}`);
  if (!found) throw missing();
  await requireReadableOwner(context, actor, found.experiment_name, missing);
  return found;
}

/**
 * Stops work the actor may read, if they manage its experiment: `end` changes its status (false when it had
 * already ended), then its audit record and `publish`'s event commit with it. Returns its experiment.
 */
export async function stopWork(
  context: ServiceContext,
  actor: Actor,
  kind: WorkKind,
  work: ExperimentWork,
  steps: {
    end: (trx: Kysely<Database>, now: string) => Promise<boolean>;
    publish: (trx: Kysely<Database>) => Promise<void>;
  },
): Promise<ExperimentRecord> {
  const { one, many } = names[kind];
  const experiment = await loadManageable(context, actor, work.experiment_name);
  const now = context.now();
  await context.db.transaction().execute(async (trx) => {
    if (!(await steps.end(trx, now))) {
      throw new AppError(
        'invalid_transition',
        `${one} ${work.id} is ${work.status}; only pending or running ${many} stop`,
      );
    }
    await recordAudit(trx, auditWho(actor, now), {
      action: `${kind}.stop`,
      targetType: kind,
      targetName: String(work.id),
      stationName: experiment.station_name,
      experimentName: experiment.name,
    });
    await steps.publish(trx);
  });
  return experiment;
}
