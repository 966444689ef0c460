/**
 * `value` when it is there; an Error naming `what` otherwise. The checked form of `value!`, for values the
 * code's own logic guarantees (a row this request just wrote, the one item of a one-item list): when that
 * logic breaks, the failure says what was missing, and a request answers `internal_error`.
 *
 * @example
 * const [daq] = await present([row]);
 * return defined(daq, `DAQ ${id}`);
 */
export function defined<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`${what} is missing`);
  return value;
}
