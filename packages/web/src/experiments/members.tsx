import type { Experiment, ExperimentRole } from '@photon-dm/client';
import { type FormEvent, useState } from 'react';
import { ErrorMessage, fieldError, isFormLevel } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useSignedIn } from '../session/session.tsx';

const memberFields = ['username', 'role'];
/** Errors that concern the username typed: no such user, or not a member (when removing). */
const usernameCodes = ['user_not_found'];

/** The people of an experiment with their roles; managers add, change and remove them. */
export function Members({
  experiment,
  manager,
  onChanged,
}: {
  experiment: Experiment;
  manager: boolean;
  onChanged: () => void;
}) {
  const { client } = useSignedIn();
  const [removeError, setRemoveError] = useState<unknown>();

  async function remove(username: string) {
    try {
      await client.experiments.removeUser(experiment.name, username);
      setRemoveError(undefined);
      onChanged();
    } catch (failure) {
      setRemoveError(failure);
    }
  }

  return (
    <section className="panel" aria-labelledby="people-heading">
      <h2 id="people-heading">People</h2>
      {experiment.users.length === 0 ? (
        <p className="muted">No members yet.</p>
      ) : (
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              {manager && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {experiment.users.map((member) => (
              <tr key={member.username}>
                <td>{member.username}</td>
                <td>{member.role === 'pi' ? 'PI' : 'user'}</td>
                {manager && (
                  <td>
                    <button
                      type="button"
                      className="secondary small"
                      aria-label={`Remove ${member.username}`}
                      onClick={() => void remove(member.username)}
                    >
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorMessage error={removeError} />
      {manager && <AddMember experimentName={experiment.name} onAdded={onChanged} />}
    </section>
  );
}

function AddMember({ experimentName, onAdded }: { experimentName: string; onAdded: () => void }) {
  const { client } = useSignedIn();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<ExperimentRole>('user');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      await client.experiments.addUser(experimentName, username.trim(), role);
      setError(undefined);
      setUsername('');
      onAdded();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="inline-form" onSubmit={submit} aria-label="Add a member" noValidate>
      <Field label="Member username" error={fieldError(error, 'username', usernameCodes)}>
        {(control) => (
          <input
            {...control}
            value={username}
            autoComplete="off"
            onChange={(e) => setUsername(e.target.value)}
          />
        )}
      </Field>
      <Field label="Role" error={fieldError(error, 'role')}>
        {(control) => (
          <select {...control} value={role} onChange={(e) => setRole(e.target.value as ExperimentRole)}>
            <option value="user">user</option>
            <option value="pi">PI</option>
          </select>
        )}
      </Field>
      <button type="submit" disabled={busy || username.trim() === ''}>
        Add member
      </button>
      {isFormLevel(error, memberFields, usernameCodes) && <ErrorMessage error={error} />}
    </form>
  );
}
