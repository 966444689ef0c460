/**
 * Writing a workflow: a JSON or YAML editor checked as you type (each problem at its line and listed under
 * the editor), a live preview of the stages in the order they will run, loading a file (JSON, YAML or an
 * APS `.py` spec, which the server reads as data), and saving (create or update: a new revision).
 */
import { ApiError, type Workflow, type WorkflowProblem } from '@photon-dm/client';
import { useId, useMemo, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { stringify } from 'yaml';
import { ErrorMessage } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useSignedIn } from '../session/session.tsx';
import { CodeEditor, type CodeEditorHandle, type EditorFormat } from './code-editor.tsx';
import { parseEditorText } from './problem-positions.ts';
import { StageList, stagesOf } from './stage-list.tsx';
import { type PlacedProblem, placeProblems, useValidation } from './use-validation.ts';
import { WorkflowFileInput } from './workflow-file-input.tsx';
import './workflows.css';

/**
 * The definition of a stored workflow as an author writes it: the APS keys in their usual order, without
 * the server's bookkeeping (id, revision, dates).
 */
export function definitionText(workflow: Workflow): string {
  const { name, owner, description, userAccount, version, stages } = workflow;
  const definition = { name, owner, description, userAccount, version, stages };
  return `${JSON.stringify(definition, null, 2)}\n`;
}

export function newWorkflowText(owner: string): string {
  const definition = {
    name: 'my-workflow',
    owner,
    description: 'What this workflow does',
    stages: { '01-START': { command: '/bin/date' } },
  };
  return `${JSON.stringify(definition, null, 2)}\n`;
}

export function WorkflowEditor({ initialText, title }: { initialText: string; title: string }) {
  const { client } = useSignedIn();
  const navigate = useNavigate();
  const [text, setText] = useState(initialText);
  const [format, setFormat] = useState<EditorFormat>('json');
  const [saveError, setSaveError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const editor = useRef<CodeEditorHandle>(undefined);
  const problemsId = useId();
  const validation = useValidation(client, text, format);
  const parsed = useMemo(() => parseEditorText(text), [text]);
  const lastGood = useRef<unknown>(undefined);
  if (parsed.value !== undefined) lastGood.current = parsed.value;

  // What the save refused counts until the text changes; then the check as you type takes over again.
  const refused =
    saveError instanceof ApiError && saveError.code === 'workflow_invalid' ? saveError : undefined;
  const problems: PlacedProblem[] = useMemo(() => {
    if (refused !== undefined)
      return placeProblems(text, (refused.details.problems ?? []) as WorkflowProblem[]);
    return validation.text === text ? validation.problems : [];
  }, [refused, validation, text]);

  function edit(next: string) {
    setText(next);
    setSaveError(undefined);
  }

  function changeFormat(next: EditorFormat) {
    if (parsed.value !== undefined) {
      edit(next === 'json' ? `${JSON.stringify(parsed.value, null, 2)}\n` : stringify(parsed.value));
    }
    setFormat(next);
  }

  async function save() {
    setSaving(true);
    setSaveError(undefined);
    try {
      const saved = await client.workflows.upsert({ format, text });
      void navigate(`/workflows/${encodeURIComponent(saved.owner)}/${encodeURIComponent(saved.name)}`);
    } catch (error) {
      setSaveError(error);
    } finally {
      setSaving(false);
    }
  }

  const checking = validation.checking || validation.text !== text;
  return (
    <section className="workflow-editor">
      <h1>{title}</h1>
      <div className="toolbar">
        <Field label="Format">
          {(control) => (
            <select
              {...control}
              value={format}
              onChange={(e) => changeFormat(e.target.value as EditorFormat)}
            >
              <option value="json">JSON</option>
              <option value="yaml">YAML</option>
            </select>
          )}
        </Field>
        <WorkflowFileInput
          onLoaded={(loaded) => {
            setFormat(loaded.format);
            edit(loaded.text);
          }}
        />
      </div>
      <div className="editor-columns">
        <div className="editor-main">
          <CodeEditor
            value={text}
            format={format}
            problems={problems}
            label="Workflow definition"
            describedBy={problemsId}
            onChange={edit}
            handle={(handle) => {
              editor.current = handle;
            }}
          />
          <ProblemList
            id={problemsId}
            problems={problems}
            checking={checking && refused === undefined}
            onPick={(problem) => editor.current?.focusAt(problem.from)}
          />
          <ErrorMessage error={validation.error} />
          <div className="toolbar">
            <button type="button" onClick={() => void save()} disabled={saving}>
              {saving ? 'Saving…' : 'Save workflow'}
            </button>
          </div>
          {refused === undefined && <ErrorMessage error={saveError} />}
        </div>
        <aside className="panel editor-preview" aria-labelledby={`${problemsId}-preview`}>
          <h2 id={`${problemsId}-preview`}>Stages in order</h2>
          {parsed.value === undefined && (
            <p className="muted">The text does not parse; showing the last stages read.</p>
          )}
          <StageList stages={stagesOf(lastGood.current)} label="Stage preview" />
        </aside>
      </div>
    </section>
  );
}

function ProblemList({
  id,
  problems,
  checking,
  onPick,
}: {
  id: string;
  problems: PlacedProblem[];
  checking: boolean;
  onPick(problem: PlacedProblem): void;
}) {
  return (
    <div id={id} className="problem-list" aria-live="polite">
      <h2>Problems</h2>
      {checking ? (
        <p className="muted">Checking…</p>
      ) : problems.length === 0 ? (
        <p className="ok-note">No problems: the workflow is valid.</p>
      ) : (
        <ul>
          {problems.map((problem) => (
            <li key={`${problem.path}:${problem.message}`}>
              <button type="button" className="link-button" onClick={() => onPick(problem)}>
                Line {problem.line}
              </button>{' '}
              {problem.path && <code>{problem.path}</code>} {problem.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
