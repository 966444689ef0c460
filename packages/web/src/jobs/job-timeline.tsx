/**
 * A job's stages in the order they run: each one's start, duration and status, with a bar placing it in
 * the job's time, and under it its child processes (one per run of a repeated stage, per file of a
 * parallel one, per retry) with the command as substituted, the working directory and the exit status.
 * Stages that have not run yet are listed from the workflow revision the job runs.
 */
import type { ChildProcess, Job, JobStage } from '@photon-dm/client';
import { useResource } from '../api/use-resource.ts';
import { formatDuration, formatTime } from '../components/format.ts';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSignedIn } from '../session/session.tsx';

export function JobTimeline({ job, onShowLog }: { job: Job; onShowLog(stage: string): void }) {
  const { client } = useSignedIn();
  const workflow = useResource(
    () => client.workflows.show(job.owner, job.workflowName, job.workflowRevision).catch(() => undefined),
    [client, job.owner, job.workflowName, job.workflowRevision],
  );
  const keys = [...new Set([...Object.keys(workflow.data?.stages ?? {}), ...Object.keys(job.stages)])].sort();
  const span = timeSpan(job);

  return (
    <ol className="timeline" aria-label="Stage timeline">
      {keys.map((key) => {
        const stage = job.stages[key];
        return (
          <li key={key} className="timeline-stage" data-stage={key}>
            <div className="timeline-row">
              <span className="stage-key">{key}</span>
              {stage ? <StatusBadge status={stage.status} /> : <span className="muted">not run</span>}
              {stage && <StageTimes stage={stage} />}
              {stage && (
                <button type="button" className="link-button" onClick={() => onShowLog(key)}>
                  Log of {key}
                </button>
              )}
            </div>
            <div className="timeline-track" aria-hidden="true">
              {stage?.startTime && (
                <span
                  className={`timeline-bar bar-${stage.status}`}
                  style={bar(stage, stage.startTime, span)}
                />
              )}
            </div>
            {stage?.errorMessage && <p className="error-message">{stage.errorMessage}</p>}
            {stage && stage.childProcesses.length > 0 && <Children processes={stage.childProcesses} />}
          </li>
        );
      })}
    </ol>
  );
}

function StageTimes({ stage }: { stage: JobStage }) {
  const seconds =
    stage.startTime === null
      ? null
      : ((stage.endTime === null ? Date.now() : Date.parse(stage.endTime)) - Date.parse(stage.startTime)) /
        1000;
  return (
    <span className="muted">
      {formatTime(stage.startTime)}
      {seconds !== null &&
        ` · ${formatDuration(Math.max(0, seconds))}${stage.endTime === null ? ' so far' : ''}`}
    </span>
  );
}

function Children({ processes }: { processes: ChildProcess[] }) {
  return (
    <table className="children">
      <caption className="visually-hidden">Child processes</caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Status</th>
          <th scope="col">Command</th>
          <th scope="col">Working directory</th>
          <th scope="col" className="num">
            Exit
          </th>
          <th scope="col" className="num">
            Run time
          </th>
        </tr>
      </thead>
      <tbody>
        {processes.map((child) => (
          <tr key={child.childProcessNumber}>
            <td>{child.childProcessNumber}</td>
            <td>
              <StatusBadge status={child.status} />
            </td>
            <td>
              <code className="command">{child.command}</code>
              {child.errorMessage && <div className="error-message">{child.errorMessage}</div>}
            </td>
            <td>
              <code>{child.workingDir}</code>
            </td>
            <td className="num">{child.exitStatus ?? ''}</td>
            <td className="num">{formatDuration(child.runTime)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function timeSpan(job: Job): { start: number; end: number } {
  const starts = Object.values(job.stages)
    .map((s) => (s.startTime ? Date.parse(s.startTime) : Number.NaN))
    .filter((t) => !Number.isNaN(t));
  const start = job.startTime ? Date.parse(job.startTime) : Math.min(...starts, Date.now());
  const end = job.endTime ? Date.parse(job.endTime) : Date.now();
  return { start, end: Math.max(end, start + 1) };
}

function bar(stage: JobStage, startTime: string, span: { start: number; end: number }) {
  const total = span.end - span.start;
  const from = Math.max(0, Date.parse(startTime) - span.start);
  const to = Math.min(total, (stage.endTime ? Date.parse(stage.endTime) : span.end) - span.start);
  return {
    marginLeft: `${(100 * from) / total}%`,
    width: `max(3px, ${(100 * Math.max(0, to - from)) / total}%)`,
  };
}
