/**
 * Bounds on what a workflow may ask of the machine. A stage's own `parallel.maxConcurrent` and
 * `repeatPeriod` are the author's wishes; the facility's limits win:
 * - site limits (settings): `DM_STAGE_MAX_PARALLEL`, the most processes one parallel stage runs at once,
 *   and `DM_MIN_REPEAT_PERIOD`, the shortest pause between runs of a repeated stage;
 * - a user limit (users.max_stage_processes, set by admins with `dm user update --max-stage-processes`):
 *   the most processes one parallel stage of a job that user submitted runs at once.
 * Workflows beyond the site limits are refused when written; workflows stored before the limits (or before
 * an admin lowered them) are held to them when they run, so no stored definition escapes them.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';
import type { Settings } from '../settings/settings.ts';
import { findStageProcessLimit } from '../users/lookup.ts';
import type { WorkflowDefinition, WorkflowStage } from './definition.ts';
import type { WorkflowProblem } from './definition-problems.ts';

export interface StageLimits {
  /** The most processes one parallel stage runs at once. */
  maxParallel: number;
  /** The shortest pause between two runs of a repeated stage, in seconds. */
  minRepeatPeriod: number;
}

type LimitSettings = Pick<Settings, 'stageMaxParallel' | 'minRepeatPeriod'>;

/** The site's limits, from the settings. */
export function siteStageLimits(settings: LimitSettings): StageLimits {
  return { maxParallel: settings.stageMaxParallel, minRepeatPeriod: settings.minRepeatPeriod };
}

/** What a definition asks beyond the site's limits (upsert refuses it, validate lists it). */
export function siteLimitProblems(
  settings: LimitSettings,
  definition: WorkflowDefinition,
): WorkflowProblem[] {
  return limitProblems(definition, siteStageLimits(settings));
}

/**
 * What a definition asks beyond the site's limits, one problem per stage field (the path an editor shows).
 *
 * @example
 * limitProblems(definition, { maxParallel: 32, minRepeatPeriod: 1 })
 * // [{ path: 'stages.01.parallel.maxConcurrent', message: 'is 1000; this site allows at most 32 ...' }]
 */
export function limitProblems(definition: WorkflowDefinition, limits: StageLimits): WorkflowProblem[] {
  const problems: WorkflowProblem[] = [];
  for (const [key, stage] of Object.entries(definition.stages)) {
    const maxConcurrent = stage.parallel?.maxConcurrent;
    if (maxConcurrent !== undefined && maxConcurrent > limits.maxParallel)
      problems.push({
        path: `stages.${key}.parallel.maxConcurrent`,
        message: `is ${maxConcurrent}; this site allows at most ${limits.maxParallel} processes of a stage at once (DM_STAGE_MAX_PARALLEL)`,
      });
    if (stage.repeatPeriod !== undefined && stage.repeatPeriod < limits.minRepeatPeriod)
      problems.push({
        path: `stages.${key}.repeatPeriod`,
        message: `is ${stage.repeatPeriod} s; this site allows no less than ${limits.minRepeatPeriod} s (DM_MIN_REPEAT_PERIOD)`,
      });
  }
  return problems;
}

/**
 * The limits a job's stages run under: the site's, lowered by the submitter's own limit when an admin set one.
 */
export async function stageLimitsForJob(
  db: Kysely<Database>,
  settings: LimitSettings,
  submittedBy: number,
): Promise<StageLimits> {
  const site = siteStageLimits(settings);
  const userLimit = await findStageProcessLimit(db, submittedBy);
  return userLimit === null ? site : { ...site, maxParallel: Math.min(site.maxParallel, userLimit) };
}

/** Processes a parallel stage runs at once: its own wish (one per core by default), within the limits. */
export function parallelLimit(stage: WorkflowStage, limits: StageLimits, cores: number): number {
  return Math.max(1, Math.min(stage.parallel?.maxConcurrent ?? cores, limits.maxParallel));
}

/** Seconds between two runs of a repeated stage: its own period, never below the site's floor. */
export function repeatPause(stage: WorkflowStage, limits: StageLimits): number {
  return Math.max(stage.repeatPeriod ?? 0, limits.minRepeatPeriod);
}
