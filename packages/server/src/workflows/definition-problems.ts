/**
 * What is wrong with a workflow definition, collected all at once so that a scientist fixes a file in one go.
 * Paths name the place: `stages.04-MD5SUM.outputVariableRegexList[0]`, `name`, `` for the whole definition.
 */

export interface WorkflowProblem {
  path: string;
  message: string;
}

/** Collects problems; each check returns the value when it is good, undefined when it is not (or absent). */
export class ProblemList {
  readonly problems: WorkflowProblem[] = [];

  add(path: string, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }

  /** Unknown keys are problems (a misspelt `comand` must not be silently ignored), with a suggestion. */
  checkKeys(
    path: string,
    object: Record<string, unknown>,
    known: readonly string[],
    ignored: readonly string[] = [],
  ) {
    for (const key of Object.keys(object)) {
      if (known.includes(key) || ignored.includes(key)) continue;
      const suggestion = closestKey(key, known);
      const hint =
        suggestion === undefined ? ` (known keys: ${known.join(', ')})` : ` (did you mean '${suggestion}'?)`;
      this.add(joinPath(path, key), `unknown key '${key}'${hint}`);
    }
  }

  string(
    path: string,
    value: unknown,
    rules: { required?: boolean; nonEmpty?: boolean } = {},
  ): string | undefined {
    if (value === undefined || value === null)
      return rules.required ? this.add(path, 'is required') : undefined;
    if (typeof value !== 'string') return this.add(path, `must be a string, not ${describe(value)}`);
    if (rules.nonEmpty && value.trim() === '') return this.add(path, 'must not be empty');
    return value;
  }

  number(path: string, value: unknown, rules: { integer?: boolean; minimum: number; exclusive?: boolean }) {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return this.add(path, `must be a number, not ${describe(value)}`);
    }
    if (rules.integer && !Number.isInteger(value))
      return this.add(path, `must be a whole number, not ${value}`);
    const bound = rules.exclusive ? `greater than ${rules.minimum}` : `at least ${rules.minimum}`;
    if (rules.exclusive ? value <= rules.minimum : value < rules.minimum)
      return this.add(path, `must be ${bound}, not ${value}`);
    return value;
  }

  object(path: string, value: unknown, what: string): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return undefined;
    if (!isPlainObject(value)) return this.add(path, `must be ${what}, not ${describe(value)}`);
    return value;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return `${typeof value === 'number' ? 'the number' : typeof value} ${String(value)}`;
}

/** The known key a misspelt one most likely means: same letters in another case, close in spelling, or a prefix. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    const distance = lower === other ? 0 : editDistance(lower, other);
    const prefix =
      Math.min(lower.length, other.length) >= 4 && (lower.startsWith(other) || other.startsWith(lower));
    const close = distance <= Math.max(1, Math.min(3, Math.floor(other.length / 3)));
    if ((close || prefix) && (best === undefined || distance < best.distance))
      best = { key: candidate, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
