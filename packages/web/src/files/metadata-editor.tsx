import type { CatalogFile } from '@photon-dm/client';
import { useState } from 'react';
import { ErrorMessage, fieldError, isFormLevel } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useSignedIn } from '../session/session.tsx';
import { isContentKey } from './metadata-tree.tsx';

/** A value as typed: numbers and true/false as such (so `temperature>=300` finds them), else text. */
export function parseTyped(text: string): string | number | boolean {
  const trimmed = text.trim();
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  if (trimmed !== '' && Number.isFinite(Number(trimmed))) return Number(trimmed);
  return text;
}

/** The user's own metadata of a file: set a key, remove one (PATCH .../file?path=). */
export function MetadataEditor({ file, onSaved }: { file: CatalogFile; onSaved(file: CatalogFile): void }) {
  const { client } = useSignedIn();
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const userKeys = Object.entries(file.metadata).filter(([k]) => !isContentKey(k));

  async function save(changes: Record<string, unknown>) {
    setBusy(true);
    try {
      onSaved(await client.files.update(file.experimentName, file.experimentFilePath, changes));
      setError(undefined);
      setKey('');
      setValue('');
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="metadata-editor">
      {userKeys.length === 0 ? (
        <p className="muted">No user metadata yet.</p>
      ) : (
        <dl className="facts">
          {userKeys.map(([k, v]) => (
            <div key={k} className="fact-row">
              <dt>{k}</dt>
              <dd>
                {typeof v === 'string' ? v : JSON.stringify(v)}{' '}
                <button
                  type="button"
                  className="link-button"
                  aria-label={`Remove ${k}`}
                  disabled={busy}
                  onClick={() => void save({ [k]: null })}
                >
                  remove
                </button>
              </dd>
            </div>
          ))}
        </dl>
      )}
      <form
        className="filters"
        aria-label="Set user metadata"
        onSubmit={(event) => {
          event.preventDefault();
          if (key.trim()) void save({ [key.trim()]: parseTyped(value) });
        }}
      >
        <Field label="Key" error={fieldError(error, 'metadata')}>
          {(control) => <input {...control} value={key} onChange={(e) => setKey(e.target.value)} />}
        </Field>
        <Field label="New value">
          {(control) => <input {...control} value={value} onChange={(e) => setValue(e.target.value)} />}
        </Field>
        <button type="submit" disabled={busy}>
          Set
        </button>
      </form>
      {isFormLevel(error, ['metadata']) && <ErrorMessage error={error} />}
    </div>
  );
}
