/** How `dm job` shows jobs to people: a table row, a summary with one line per stage, and transitions. */
import type { Job, JobStage } from '@photon-dm/client';
import { formatDuration } from './duration.ts';
import { type Column, formatRecord, formatTable } from './output.ts';

/**
 * Seconds as people read a run time: tenths below a minute (stages often take less than a second), then
 * `1h2m3s`.
 *
 * @example
 * formatRunTime(0.25) // '0.3s'
 * formatRunTime(3725) // '1h2m5s'
 */
export function formatRunTime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-';
  return seconds < 60 ? `${Number(seconds.toFixed(1))}s` : formatDuration(seconds);
}

export const jobColumns: Column<Job>[] = [
  { header: 'ID', value: (j) => j.id },
  { header: 'WORKFLOW', value: (j) => `${j.owner}/${j.workflowName}` },
  { header: 'STATUS', value: (j) => j.status },
  { header: 'STAGE', value: (j) => j.stage },
  { header: 'EXPERIMENT', value: (j) => j.experimentName },
  { header: 'SUBMITTED', value: (j) => j.submissionTime },
  { header: 'RUNTIME', value: (j) => formatRunTime(j.runTime) },
];

/** Stages in the order they ran (the sorted order of their keys). */
function stagesOf(job: Job): Array<[string, JobStage]> {
  return Object.entries(job.stages).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function stageRunTime(stage: JobStage): number | null {
  if (stage.startTime === null || stage.endTime === null) return null;
  return (Date.parse(stage.endTime) - Date.parse(stage.startTime)) / 1000;
}

/** The exit status of the stage's last process (a retried stage's last attempt). */
function stageExit(stage: JobStage): number | null {
  return stage.childProcesses.at(-1)?.exitStatus ?? null;
}

/**
 * `dm job show`: the job's record, then a table of its stages with status, exit status, run time and error.
 *
 * @example
 * context.emit(job, renderJob);
 */
export function renderJob(job: Job): string {
  const record = formatRecord({
    id: job.id,
    workflow: `${job.owner}/${job.workflowName} (revision ${job.workflowRevision})`,
    status: job.status + (job.stopRequested && job.status === 'running' ? ' (stop requested)' : ''),
    stage: job.stage,
    experiment: job.experimentName,
    filePath: job.filePath,
    arguments: Object.entries(job.arguments).map(([key, value]) => `${key}=${value}`),
    variables: Object.entries(job.variables).map(([key, value]) => `${key}=${value}`),
    submittedBy: job.submittedBy,
    submitted: job.submissionTime,
    started: job.startTime,
    ended: job.endTime,
    runTime: formatRunTime(job.runTime),
    resubmittedFrom:
      job.resubmittedFrom === null
        ? null
        : `${job.resubmittedFrom}${job.fromStage === null ? '' : ` (from stage ${job.fromStage})`}`,
    error: job.errorMessage,
  });
  const stages = stagesOf(job);
  if (stages.length === 0) return `${record}\n\n(no stage has run yet)`;
  const table = formatTable(stages, [
    { header: 'STAGE', value: ([key]) => key },
    { header: 'STATUS', value: ([, stage]) => stage.status },
    { header: 'EXIT', value: ([, stage]) => stageExit(stage) },
    { header: 'RUNTIME', value: ([, stage]) => formatRunTime(stageRunTime(stage)) },
    { header: 'ERROR', value: ([, stage]) => stage.errorMessage },
  ]);
  return `${record}\n\n${table}`;
}

/**
 * What changed between two looks at a job, one line per change, stages first (they change before the job
 * ends). `before` undefined means the first look: everything seen so far is news.
 *
 * @example
 * jobTransitions(undefined, job) // ['job 7 stage 01-START done (exit 0)', 'job 7 running']
 */
export function jobTransitions(before: Job | undefined, after: Job): string[] {
  const lines: string[] = [];
  for (const [key, stage] of stagesOf(after)) {
    if (before?.stages[key]?.status === stage.status) continue;
    const exit = stageExit(stage);
    const detail =
      stage.errorMessage ?? (exit === null || stage.status === 'running' ? null : `exit ${exit}`);
    lines.push(`job ${after.id} stage ${key} ${stage.status}${detail === null ? '' : ` (${detail})`}`);
  }
  if (before?.status !== after.status) {
    lines.push(`job ${after.id} ${after.status}${after.errorMessage ? `: ${after.errorMessage}` : ''}`);
  }
  return lines;
}
