/** True when a statement failed on a UNIQUE or PRIMARY KEY constraint, on either database. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  // better-sqlite3 reports extended result codes; node-postgres reports SQLSTATE.
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * True when the database's disk is full: SQLite's SQLITE_FULL (also reported as an I/O error while writing
 * the WAL or a temporary file), PostgreSQL's SQLSTATE 53100 (disk_full). Nothing is wrong with the request:
 * the same write succeeds once space returns.
 */
export function isDatabaseFull(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === 'SQLITE_FULL' || code === '53100') return true;
  // An fsync or write of the WAL that found no space is reported as an I/O error carrying ENOSPC's text.
  return (
    typeof code === 'string' &&
    code.startsWith('SQLITE_IOERR') &&
    typeof message === 'string' &&
    /disk is full|no space/i.test(message)
  );
}

/** The message people see when the database's disk is full, distinct from the data disk's. */
export const databaseFullMessage =
  "the database's disk is full: nothing can be recorded until an operator frees space there (the data disk is not the problem)";
