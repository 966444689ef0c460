import type { UpdateUserInput, User } from '@photon-dm/client';
import { type FormEvent, useState } from 'react';
import { ErrorMessage, fieldError, isFormLevel } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useFormCall } from '../components/use-form-call.ts';
import { useSignedIn } from '../session/session.tsx';

const fields = ['displayName', 'email', 'unixAccount', 'password', 'isAdmin', 'disabled'];

/** Changes one account; sends only what changed, and an emptied text field clears it. */
export function UserEdit({ user, onDone }: { user: User; onDone: (changed: boolean) => void }) {
  const { client } = useSignedIn();
  const [form, setForm] = useState({
    displayName: user.displayName ?? '',
    email: user.email ?? '',
    unixAccount: user.unixAccount ?? '',
    password: '',
    isAdmin: user.isAdmin,
    disabled: user.disabled,
  });
  const { busy, error, run } = useFormCall();
  const set =
    (key: 'displayName' | 'email' | 'unixAccount' | 'password') => (e: { target: { value: string } }) =>
      setForm((previous) => ({ ...previous, [key]: e.target.value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const changes: UpdateUserInput = {};
    for (const key of ['displayName', 'email', 'unixAccount'] as const) {
      if (form[key].trim() !== (user[key] ?? '')) changes[key] = form[key].trim() || null;
    }
    if (form.password) changes.password = form.password;
    if (form.isAdmin !== user.isAdmin) changes.isAdmin = form.isAdmin;
    if (form.disabled !== user.disabled) changes.disabled = form.disabled;
    if (Object.keys(changes).length === 0) return onDone(false);
    if (await run(() => client.users.update(user.username, changes))) onDone(true);
  }

  return (
    <section className="panel" aria-labelledby="edit-user-heading">
      <h2 id="edit-user-heading">Edit {user.username}</h2>
      <form className="inline-form" onSubmit={submit} aria-label={`Edit ${user.username}`} noValidate>
        <Field label="Display name" error={fieldError(error, 'displayName')}>
          {(control) => <input {...control} value={form.displayName} onChange={set('displayName')} />}
        </Field>
        <Field label="Email" error={fieldError(error, 'email')}>
          {(control) => <input {...control} type="email" value={form.email} onChange={set('email')} />}
        </Field>
        <Field label="Unix account" error={fieldError(error, 'unixAccount')}>
          {(control) => <input {...control} value={form.unixAccount} onChange={set('unixAccount')} />}
        </Field>
        <Field label="New password" error={fieldError(error, 'password')}>
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete="new-password"
              value={form.password}
              onChange={set('password')}
            />
          )}
        </Field>
        <label className="filter-check check-field">
          <input
            type="checkbox"
            checked={form.isAdmin}
            onChange={(e) => setForm((previous) => ({ ...previous, isAdmin: e.target.checked }))}
          />{' '}
          Administrator
        </label>
        <label className="filter-check check-field">
          <input
            type="checkbox"
            checked={form.disabled}
            onChange={(e) => setForm((previous) => ({ ...previous, disabled: e.target.checked }))}
          />{' '}
          Disabled
        </label>
        <button type="submit" disabled={busy}>
          Save
        </button>
        <button type="button" className="secondary" onClick={() => onDone(false)}>
          Cancel
        </button>
        {isFormLevel(error, fields) && <ErrorMessage error={error} />}
      </form>
    </section>
  );
}
