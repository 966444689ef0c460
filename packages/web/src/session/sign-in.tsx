import { ApiError } from '@photon-dm/client';
import { type FormEvent, useState } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { describeError } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useSession } from './session.tsx';

/** Only paths of this portal: a crafted `?next=https://elsewhere` must not send the user off-site. */
function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/experiments';
}

export function SignIn() {
  const { state, signIn } = useSession();
  const [params] = useSearchParams();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  if (state.status === 'signed-in') return <Navigate to={safeNext(params.get('next'))} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(username.trim(), password);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  const wrongCredentials = error instanceof ApiError && error.status === 401;
  return (
    <main className="sign-in" id="main">
      <h1>Photon DM</h1>
      <form onSubmit={submit} aria-label="Sign in" noValidate>
        {params.get('expired') && !error && (
          <p className="notice">Your session ended. Please sign in again.</p>
        )}
        <Field label="Username">
          {(control) => (
            <input
              {...control}
              name="username"
              autoComplete="username"
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          )}
        </Field>
        <Field label="Password" error={wrongCredentials ? 'Wrong username or password.' : undefined}>
          {(control) => (
            <input
              {...control}
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        {error !== undefined && !wrongCredentials && (
          <div role="alert" className="error-message">
            {describeError(error)}
          </div>
        )}
        <button type="submit" disabled={busy || username === '' || password === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
