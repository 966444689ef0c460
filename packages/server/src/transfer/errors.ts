/**
 * Why a transfer did not happen. Each error carries a stable snake_case `code` that the DAQ and upload
 * records keep as their `lastError` and that the API may expose, and `details` with the paths and figures
 * an operator needs. The transfer layer knows nothing of HTTP: whoever calls it maps these to `AppError`s.
 *
 * An aborted transfer rejects with the signal's own reason (an `AbortError`), as Node's APIs do.
 */

export type TransferErrorCode =
  | 'source_missing'
  | 'source_changed'
  | 'checksum_mismatch'
  | 'no_space'
  | 'destination_conflict'
  | 'path_outside_root';

export type TransferErrorDetails = Record<string, unknown>;

export class TransferError extends Error {
  constructor(
    readonly code: TransferErrorCode,
    message: string,
    readonly details: TransferErrorDetails = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'TransferError';
  }
}

/** The source vanished before or during the copy: reported for that file, never a crash of the DAQ. */
export class SourceMissingError extends TransferError {
  constructor(source: string, options?: ErrorOptions) {
    super(
      'source_missing',
      `source file ${source} does not exist (deleted before it was copied?)`,
      { source },
      options,
    );
    this.name = 'SourceMissingError';
  }
}

/**
 * The source changed while it was copied (size, mtime or ctime differ before and after): it was still being
 * written. Retried; once the attempts run out, the file is taken again when it settles.
 */
export class SourceChangedError extends TransferError {
  constructor(source: string, attempts: number) {
    super('source_changed', `source file ${source} changed while it was copied (attempt ${attempts})`, {
      source,
      attempts,
    });
    this.name = 'SourceChangedError';
  }
}

/** What was read back from the copy is not what was read from the source (a corrupted write). Retried. */
export class ChecksumMismatchError extends TransferError {
  constructor(source: string, destination: string, attempts: number, expected: string, actual: string) {
    super(
      'checksum_mismatch',
      `copy of ${source} to ${destination} read back with a different checksum (attempt ${attempts})`,
      { source, destination, attempts, expectedSha256: expected, actualSha256: actual },
    );
    this.name = 'ChecksumMismatchError';
  }
}

/** The destination's file system is full or the quota is reached (ENOSPC, EDQUOT). */
export class NoSpaceError extends TransferError {
  constructor(destination: string, options?: ErrorOptions) {
    super(
      'no_space',
      `no space left for ${destination} (disk full or quota reached)`,
      { destination },
      options,
    );
    this.name = 'NoSpaceError';
  }
}

/** A different file already has the destination's name, and overwriting was not asked for. */
export class DestinationConflictError extends TransferError {
  constructor(destination: string, reason: string) {
    super('destination_conflict', `${destination} already exists with ${reason}`, { destination, reason });
    this.name = 'DestinationConflictError';
  }
}

/** A path would lead outside the directory it must stay in (`..`, absolute, or through a symlink). */
export class PathOutsideRootError extends TransferError {
  constructor(root: string, path: string, reason: string) {
    super('path_outside_root', `refusing ${JSON.stringify(path)}: ${reason} (must stay inside ${root})`, {
      root,
      path,
      reason,
    });
    this.name = 'PathOutsideRootError';
  }
}

/** An error as it crosses from a worker thread, where structured cloning would lose its class. */
export interface SerializedError {
  name: string;
  message: string;
  code?: TransferErrorCode | string | undefined;
  details?: TransferErrorDetails | undefined;
  stack?: string | undefined;
}

const classByCode: Record<TransferErrorCode, { prototype: TransferError }> = {
  source_missing: SourceMissingError,
  source_changed: SourceChangedError,
  checksum_mismatch: ChecksumMismatchError,
  no_space: NoSpaceError,
  destination_conflict: DestinationConflictError,
  path_outside_root: PathOutsideRootError,
};

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { code, details } = error as { code?: string; details?: TransferErrorDetails };
  return { name: error.name, message: error.message, code, details, stack: error.stack };
}

/**
 * The error again, of its own class for a `TransferError` (so `instanceof NoSpaceError` still holds), else a
 * plain Error with the same name, message and code (`ENOENT`, ...).
 *
 * @example
 * reviveError(serializeError(new NoSpaceError('/gdata/x'))) instanceof NoSpaceError; // true
 */
export function reviveError(serialized: SerializedError): Error {
  const transferClass = classByCode[serialized.code as TransferErrorCode];
  const error = transferClass
    ? new TransferError(serialized.code as TransferErrorCode, serialized.message, serialized.details)
    : Object.assign(
        new Error(serialized.message),
        serialized.code === undefined ? {} : { code: serialized.code },
      );
  if (transferClass) Object.setPrototypeOf(error, transferClass.prototype);
  error.name = serialized.name;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return error;
}
