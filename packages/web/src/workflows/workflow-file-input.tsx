/**
 * Loading a workflow file into the editor: JSON and YAML as written (byte for byte), an APS `.py` spec
 * through the server, which reads the Python dict as data (never runs it) and gives it back as JSON.
 */
import { useState } from 'react';
import { ErrorMessage } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useSignedIn } from '../session/session.tsx';
import type { EditorFormat } from './code-editor.tsx';

export function WorkflowFileInput({
  onLoaded,
}: {
  onLoaded(file: { text: string; format: EditorFormat }): void;
}) {
  const { client } = useSignedIn();
  const [problem, setProblem] = useState<string>();
  const [error, setError] = useState<unknown>();

  async function load(file: File) {
    setProblem(undefined);
    setError(undefined);
    const text = await file.text();
    const extension = /\.([A-Za-z]+)$/.exec(file.name)?.[1]?.toLowerCase();
    if (extension === 'yaml' || extension === 'yml') return onLoaded({ text, format: 'yaml' });
    if (extension !== 'py') return onLoaded({ text, format: 'json' });
    try {
      const read = await client.workflows.validate({ format: 'python', text });
      if (read.definition === undefined) {
        setProblem(read.problems.map((p) => p.message).join('; ') || 'the file holds no Python dict');
        return;
      }
      onLoaded({ text: `${JSON.stringify(read.definition, null, 2)}\n`, format: 'json' });
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <div>
      <Field label="Load a file" hint="JSON, YAML or an APS .py spec" error={problem}>
        {(control) => (
          <input
            {...control}
            type="file"
            accept=".json,.yaml,.yml,.py,application/json"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void load(file);
              e.target.value = '';
            }}
          />
        )}
      </Field>
      <ErrorMessage error={error} />
    </div>
  );
}
