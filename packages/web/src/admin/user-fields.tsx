import { fieldError } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';

/** What the add and edit forms of an account both ask: the same fields, labels and field errors. */
export interface UserFieldValues {
  displayName: string;
  email: string;
  unixAccount: string;
  password: string;
  isAdmin: boolean;
}

type TextKey = 'displayName' | 'email' | 'unixAccount' | 'password';

export function UserFields({
  form,
  error,
  passwordLabel,
  onText,
  onAdmin,
}: {
  form: UserFieldValues;
  error: unknown;
  passwordLabel: string;
  onText: (key: TextKey, value: string) => void;
  onAdmin: (isAdmin: boolean) => void;
}) {
  return (
    <>
      <Field label="Display name" error={fieldError(error, 'displayName')}>
        {(control) => (
          <input
            {...control}
            value={form.displayName}
            onChange={(e) => onText('displayName', e.target.value)}
          />
        )}
      </Field>
      <Field label="Email" error={fieldError(error, 'email')}>
        {(control) => (
          <input
            {...control}
            type="email"
            value={form.email}
            onChange={(e) => onText('email', e.target.value)}
          />
        )}
      </Field>
      <Field label="Unix account" error={fieldError(error, 'unixAccount')}>
        {(control) => (
          <input
            {...control}
            value={form.unixAccount}
            onChange={(e) => onText('unixAccount', e.target.value)}
          />
        )}
      </Field>
      <Field label={passwordLabel} error={fieldError(error, 'password')}>
        {(control) => (
          <input
            {...control}
            type="password"
            autoComplete="new-password"
            value={form.password}
            onChange={(e) => onText('password', e.target.value)}
          />
        )}
      </Field>
      <label className="filter-check check-field">
        <input type="checkbox" checked={form.isAdmin} onChange={(e) => onAdmin(e.target.checked)} />{' '}
        Administrator
      </label>
    </>
  );
}
