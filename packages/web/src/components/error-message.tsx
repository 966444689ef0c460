import { ApiError } from '@photon-dm/client';

/** What went wrong, as the API said it: its message, and the error code for the operator's log search. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const message = describeError(error);
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div role="alert" className="error-message">
      {message}
      {code !== undefined && <span className="error-code"> ({code})</span>}
    </div>
  );
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError && error.status === 0) return 'The server cannot be reached.';
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * The message the API gave for one field of a `validation_failed` answer (`details.fields`), or for the
 * whole request when its code names that field's concept (e.g. `experiment_exists` for the name field).
 */
export function fieldError(error: unknown, field: string, codes: readonly string[] = []): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const problem = error.fieldProblems.find((p) => p.field.replace(/^\//, '').split('/')[0] === field);
  if (problem !== undefined) return problem.message;
  return codes.includes(error.code) ? error.message : undefined;
}

/** True when the error belongs to no single field, so the form shows it on its own. */
export function isFormLevel(
  error: unknown,
  fields: readonly string[],
  codes: readonly string[] = [],
): boolean {
  if (error === undefined) return false;
  return !fields.some((field) => fieldError(error, field, codes) !== undefined);
}
