/**
 * A workflow's stages in the order they run (their keys sorted, as the server sorts them), with what each
 * runs and the conditions around it: the editor's live preview and the workflow view both show this.
 */
import type { WorkflowStage } from '@photon-dm/client';

/** The stages of a definition that may not be valid yet: only what looks like a stage is shown. */
export function stagesOf(definition: unknown): [string, Partial<WorkflowStage>][] {
  if (typeof definition !== 'object' || definition === null) return [];
  const stages = (definition as { stages?: unknown }).stages;
  if (typeof stages !== 'object' || stages === null || Array.isArray(stages)) return [];
  return Object.keys(stages)
    .sort()
    .map((key) => {
      const stage = (stages as Record<string, unknown>)[key];
      return [key, typeof stage === 'object' && stage !== null ? (stage as Partial<WorkflowStage>) : {}];
    });
}

export function StageList({ stages, label }: { stages: [string, Partial<WorkflowStage>][]; label: string }) {
  if (stages.length === 0) return <p className="muted">No stages yet.</p>;
  return (
    <ol className="stage-list" aria-label={label}>
      {stages.map(([key, stage]) => (
        <li key={key}>
          <div className="stage-head">
            <span className="stage-key">{key}</span>
            <StageNotes stage={stage} />
          </div>
          <code className="stage-command">
            {typeof stage.command === 'string' ? stage.command : '(no command)'}
          </code>
        </li>
      ))}
    </ol>
  );
}

function StageNotes({ stage }: { stage: Partial<WorkflowStage> }) {
  const notes: string[] = [];
  if (stage.runIf !== undefined) notes.push(`runs if ${String(stage.runIf)}`);
  if (stage.repeatPeriod !== undefined || stage.repeatUntil !== undefined || stage.maxRepeats !== undefined) {
    notes.push(
      `repeats every ${String(stage.repeatPeriod ?? '?')} s until ${String(stage.repeatUntil ?? '?')}, at most ${String(stage.maxRepeats ?? '?')} times`,
    );
  }
  if (stage.parallel !== undefined && typeof stage.parallel === 'object' && stage.parallel !== null) {
    const { fileList, maxConcurrent } = stage.parallel;
    notes.push(`once per file of ${String(fileList)}${maxConcurrent ? `, ${maxConcurrent} at a time` : ''}`);
  }
  if (stage.retries !== undefined) notes.push(`${String(stage.retries)} retries`);
  if (stage.timeout !== undefined) notes.push(`timeout ${String(stage.timeout)} s`);
  if (stage.workingDir !== undefined) notes.push(`in ${String(stage.workingDir)}`);
  if (stage.site !== undefined) notes.push(`at ${String(stage.site)}`);
  if (Array.isArray(stage.outputVariableRegexList) && stage.outputVariableRegexList.length > 0) {
    const names = stage.outputVariableRegexList.flatMap((regex) =>
      [...String(regex).matchAll(/\(\?P<([A-Za-z_]\w*)>/g)].map((m) => `$${m[1]}`),
    );
    if (names.length > 0) notes.push(`captures ${names.join(', ')}`);
  }
  return (
    <>
      {notes.map((note) => (
        <span key={note} className="stage-note">
          {note}
        </span>
      ))}
    </>
  );
}
