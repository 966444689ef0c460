import type { UpdateUserInput, User } from '@photon-dm/client';
import { type FormEvent, useState } from 'react';
import { ErrorMessage, isFormLevel } from '../components/error-message.tsx';
import { useFormCall } from '../components/use-form-call.ts';
import { useSignedIn } from '../session/session.tsx';
import { UserFields } from './user-fields.tsx';

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
        <UserFields
          form={form}
          error={error}
          passwordLabel="New password"
          onText={(key, value) => setForm((previous) => ({ ...previous, [key]: value }))}
          onAdmin={(isAdmin) => setForm((previous) => ({ ...previous, isAdmin }))}
        />
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
