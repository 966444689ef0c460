/**
 * Bounds on the shape of parsed input, checked in one place for every parser: request bodies, workflow
 * files (JSON, YAML, Python specs), anything decoded from a client's text.
 *
 * Code that walks a value recursively (serialising a response, writing JSONB, validating a workflow) runs out
 * of stack on a value nested thousands of levels deep, and a YAML alias can make a value that contains
 * itself (infinitely deep) or a small file that expands to millions of nodes ("billion laughs"). Nothing
 * real comes close to these limits; anything past them is refused with a 400 that names where it is.
 */

/** Deeper than any workflow, metadata record or request a person or instrument writes. */
export const maxInputDepth = 64;
/** Arrays, objects and values in one input: a 16 MB body of small values stays below it. */
export const maxInputNodes = 2_000_000;

export interface ShapeProblem {
  /** Where the problem is, as `a/b/0/c` (truncated for very deep places). */
  path: string;
  message: string;
}

/**
 * Walks the value without recursion (so the check itself cannot overflow the stack) and reports the first
 * place nested too deep, a value with too many parts, or a string (or key) holding a NUL character.
 *
 * @example
 * findShapeProblem({ a: [[[1]]] }, 2) // { path: 'a/0/0', message: 'is nested more than 2 levels deep' }
 * findShapeProblem({ a: 1 }) // undefined
 */
export function findShapeProblem(
  value: unknown,
  maxDepth = maxInputDepth,
  maxNodes = maxInputNodes,
): ShapeProblem | undefined {
  const pending: { value: unknown; depth: number; path: string[] }[] = [{ value, depth: 0, path: [] }];
  let nodes = 0;
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    nodes += 1;
    if (nodes > maxNodes) return { path: '', message: `has more than ${maxNodes} values` };
    if (typeof next.value === 'string' && next.value.includes('\u0000')) {
      // PostgreSQL cannot store NUL in text or JSONB: refused here, on both databases alike, with its name.
      return { path: shortPath(next.path), message: 'must not contain a NUL character' };
    }
    // Only what JSON, YAML and Python literals make: a Buffer or stream body is data, not structure.
    if (!isArrayOrRecord(next.value)) continue;
    if (next.depth >= maxDepth) {
      // A value that contains itself (a YAML alias inside its anchor) is infinitely deep and ends here too.
      return {
        path: shortPath(next.path),
        message: `is nested more than ${maxDepth} levels deep (or refers to itself)`,
      };
    }
    const entries = Array.isArray(next.value)
      ? next.value.map((item, index) => [String(index), item] as const)
      : Object.entries(next.value);
    for (const [key, item] of entries) {
      if (key.includes('\u0000'))
        return { path: shortPath([...next.path, key]), message: 'must not contain a NUL character' };
      pending.push({ value: item, depth: next.depth + 1, path: [...next.path.slice(0, 8), key] });
    }
  }
  return undefined;
}

function isArrayOrRecord(value: unknown): value is unknown[] | Record<string, unknown> {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  // Fastify's params and query are instances of a class whose prototype has no prototype (NullObject).
  return prototype === Object.prototype || prototype === null || Object.getPrototypeOf(prototype) === null;
}

function shortPath(path: string[]): string {
  const shown = path.slice(0, 6).map((key) => (key.length > 40 ? `${key.slice(0, 40)}…` : key));
  return path.length > 6 ? `${shown.join('/')}/…` : shown.join('/');
}

/**
 * The charset a `Content-Type` header declares, lower-cased; undefined when it declares none.
 *
 * @example
 * declaredCharset('application/json; charset="ISO-8859-1"') // 'iso-8859-1'
 */
export function declaredCharset(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const match = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType);
  return match?.[1]?.toLowerCase();
}
