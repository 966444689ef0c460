/**
 * Whether a thrown value carries this `code`: Node's system errors (`ENOENT`, `EEXIST`, `ESRCH`...) and
 * anything else that names its cause the same way. A thrown value may be anything, hence no cast.
 *
 * @example
 * await unlink(path).catch((error: unknown) => { if (!isCode(error, 'ENOENT')) throw error; });
 */
export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
