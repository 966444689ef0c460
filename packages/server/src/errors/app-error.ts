/**
 * The error catalogue: every error the API returns, with its HTTP status and a stable snake_case code that
 * scripts may rely on. The JSON shape is always `{"error": {"code", "message", "details"}}`.
 */
export const errorStatus = {
  validation_failed: 400,
  workflow_invalid: 400,
  upload_interrupted: 400,
  invalid_json: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  /** An upload's or DAQ's dataDirectory outside its station's source roots (admins may name others). */
  source_not_allowed: 403,
  /** A dataDirectory that is, holds or lies in the storage root or the server's own files: for no one. */
  source_protected: 403,
  /** A dataDirectory the station's unix account may not read. */
  source_unreadable: 403,
  download_link_invalid: 403,
  route_not_found: 404,
  user_not_found: 404,
  station_not_found: 404,
  station_account_not_found: 404,
  experiment_not_found: 404,
  experiment_type_not_found: 404,
  token_not_found: 404,
  file_not_found: 404,
  upload_not_found: 404,
  daq_not_found: 404,
  workflow_not_found: 404,
  job_not_found: 404,
  source_root_not_found: 404,
  site_not_found: 404,
  method_not_allowed: 405,
  user_exists: 409,
  station_exists: 409,
  site_exists: 409,
  experiment_exists: 409,
  experiment_type_exists: 409,
  experiment_not_empty: 409,
  experiment_busy: 409,
  experiment_deleting: 409,
  invalid_transition: 409,
  lease_lost: 409,
  staging_mismatch: 409,
  destination_conflict: 409,
  last_admin: 409,
  unix_account_unknown: 409,
  download_link_expired: 410,
  payload_too_large: 413,
  checksum_mismatch: 422,
  /** A job whose stages name a site that does not exist, is disabled, or cannot run stages here yet. */
  site_unusable: 422,
  unsupported_media_type: 415,
  too_many_attempts: 429,
  internal_error: 500,
  storage_full: 507,
  storage_unavailable: 503,
  service_unavailable: 503,
  database_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export type ErrorDetails = Record<string, unknown>;

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.status = errorStatus[code];
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export interface FieldProblem {
  /** The field as the client wrote it: `name`, `users/1`, `experiments/3/station`. */
  field: string;
  message: string;
}

/** A 400 listing every problem at once. */
export function validationFailed(problems: FieldProblem[]): AppError {
  return new AppError('validation_failed', problems.map((p) => `${p.field}: ${p.message}`).join('; '), {
    fields: problems,
  });
}

/** A 400 naming one field: the shape validation failures use, so clients handle both alike. */
export function invalidField(field: string, message: string): AppError {
  return validationFailed([{ field, message }]);
}
