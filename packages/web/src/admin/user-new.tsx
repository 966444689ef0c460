import type { CreateUserInput } from '@photon-dm/client';
import { type FormEvent, useState } from 'react';
import { ErrorMessage, fieldError, isFormLevel } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useFormCall } from '../components/use-form-call.ts';
import { useSignedIn } from '../session/session.tsx';
import { UserFields } from './user-fields.tsx';

const empty = { username: '', displayName: '', email: '', unixAccount: '', password: '', isAdmin: false };
const fields = ['username', 'displayName', 'email', 'unixAccount', 'password', 'isAdmin'];

/** Adds an account with a password (an empty password leaves one who cannot sign in yet). */
export function UserNew({ onCreated }: { onCreated: () => void }) {
  const { client } = useSignedIn();
  const [form, setForm] = useState(empty);
  const [created, setCreated] = useState<string>();
  const { busy, error, run } = useFormCall();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input: CreateUserInput = {
      username: form.username.trim(),
      ...(form.displayName.trim() && { displayName: form.displayName.trim() }),
      ...(form.email.trim() && { email: form.email.trim() }),
      ...(form.unixAccount.trim() && { unixAccount: form.unixAccount.trim() }),
      ...(form.password && { password: form.password }),
      ...(form.isAdmin && { isAdmin: true }),
    };
    const user = await run(() => client.users.create(input));
    if (user) {
      setCreated(user.username);
      setForm(empty);
      onCreated();
    }
  }

  return (
    <section className="panel" aria-labelledby="new-user-heading">
      <h2 id="new-user-heading">Add a user</h2>
      <form className="inline-form" onSubmit={submit} aria-label="Add a user" noValidate>
        <Field label="Username" error={fieldError(error, 'username', ['user_exists'])}>
          {(control) => (
            <input
              {...control}
              value={form.username}
              autoComplete="off"
              onChange={(e) => setForm((previous) => ({ ...previous, username: e.target.value }))}
            />
          )}
        </Field>
        <UserFields
          form={form}
          error={error}
          passwordLabel="Password"
          onText={(key, value) => setForm((previous) => ({ ...previous, [key]: value }))}
          onAdmin={(isAdmin) => setForm((previous) => ({ ...previous, isAdmin }))}
        />
        <button type="submit" disabled={busy || form.username.trim() === ''}>
          Add user
        </button>
        {isFormLevel(error, fields, ['user_exists']) && <ErrorMessage error={error} />}
      </form>
      {created && !error && (
        <p role="status" className="muted">
          Added {created}.
        </p>
      )}
    </section>
  );
}
