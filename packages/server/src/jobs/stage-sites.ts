/**
 * Where a job's stages will run, checked when the job is created: a stage naming a site that does not
 * exist, is disabled, or is of a kind this server cannot run stages at yet refuses the job with 422 and the
 * stage's name, instead of running the command somewhere it was not meant to run (the `local` worker used to
 * run every stage, whatever site it named).
 */
import type { Kysely } from 'kysely';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';
import { AppError } from '../errors/app-error.ts';
import { findSiteByName, localSiteName } from '../sites/lookup.ts';
import type { WorkflowDefinition } from '../workflows/definition.ts';
import type { WorkflowRecord } from '../workflows/lookup.ts';

/** Site kinds whose stages the local worker runs: on this host. */
const runHere = new Set(['local']);

export async function checkStageSites(
  context: ServiceContext,
  db: Kysely<Database>,
  workflow: WorkflowRecord,
): Promise<void> {
  const definition = decodeJson<WorkflowDefinition>(context.profile, workflow.definition);
  for (const [stageName, stage] of Object.entries(definition.stages)) {
    const site = stage.site;
    if (site === undefined || site === localSiteName) continue;
    const refuse = (message: string) =>
      new AppError('site_unusable', `stage "${stageName}" of workflow ${workflow.name}: ${message}`, {
        stage: stageName,
        site,
      });
    const row = await findSiteByName(db, site);
    if (row === undefined) throw refuse(`no site "${site}" (dm site list shows the sites)`);
    if (row.enabled !== 1) throw refuse(`site "${site}" is disabled`);
    if (!runHere.has(row.kind))
      throw refuse(`site "${site}" is a ${row.kind} site, where this server cannot run stages yet`);
  }
}
