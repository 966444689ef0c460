import type { ErrorCode, FieldProblem } from './types.ts';

/** The client's own codes, for failures the API did not answer with its JSON. */
export type ClientErrorCode = 'server_unreachable' | 'invalid_response' | 'http_error';

/**
 * Every failure of an API call: an error the server answered with (`{error: {code, message, details}}`),
 * or one of the client's own codes:
 * - `server_unreachable` (status 0): no HTTP answer at all (refused, DNS, TLS, reset);
 * - `invalid_response`: a success whose body is not JSON (a proxy's HTML page, a truncated body);
 * - `http_error`: a failure whose body is not the API's error JSON.
 * `code` is typed as the server's error catalogue (generated into api-types.ts) plus these.
 *
 * @example
 * try {
 *   await client.experiments.show('2026-1-smith');
 * } catch (error) {
 *   if (error instanceof ApiError && error.code === 'experiment_not_found') console.error('no such experiment');
 *   else throw error;
 * }
 */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The field problems of a `validation_failed` error, empty for every other error. */
  get fieldProblems(): FieldProblem[] {
    const fields = this.details.fields;
    if (!Array.isArray(fields)) return [];
    return fields.filter(
      (entry): entry is FieldProblem =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof (entry as FieldProblem).field === 'string' &&
        typeof (entry as FieldProblem).message === 'string',
    );
  }
}
