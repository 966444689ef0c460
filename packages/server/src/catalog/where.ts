import type { MetadataOperator } from '../db/metadata-query.ts';
import { type FieldProblem, validationFailed } from '../errors/app-error.ts';

export interface Condition {
  key: string;
  operator: MetadataOperator;
  /** Numbers compare as numbers; a value in double quotes is always text. */
  value: string | number | undefined;
}

/**
 * The file's own integer column under its names (search-store.ts compares it in SQL, not as metadata):
 * text, a glob, a fraction (PostgreSQL will not read `5e-324` as a bigint) or a number past 2^53 there
 * would be a database error, not an empty result.
 */
const integerColumns = new Set(['size', 'fileSize']);

const conditionPattern = /^\s*([^\s=!<>~]+)\s*(<=|>=|!=|=|<|>|~)\s*(.*?)\s*$/;
const existsPattern = /^\s*(\S+)\s+exists\s*$/;

/**
 * Parses `--where` conditions as users type them: `sample=lysozyme`, `temperature>=300`,
 * `entry/title~'scan*'`, `energy exists`. Keys have no spaces; quote a value to compare it as text.
 *
 * @example
 * parseConditions(['temperature >= 300']) // [{ key: 'temperature', operator: '>=', value: 300 }]
 */
export function parseConditions(texts: string[], field = 'where'): Condition[] {
  const problems: FieldProblem[] = [];
  const conditions = texts.flatMap((text, index): Condition[] => {
    const exists = existsPattern.exec(text);
    if (exists?.[1] !== undefined) return [{ key: exists[1], operator: 'exists', value: undefined }];
    const match = conditionPattern.exec(text);
    // `a >>> 3` or `a =< 3` is a typo, not a comparison with the text ">> 3".
    if (!match || /^[=<>!~]/.test(match[3] ?? '')) {
      problems.push({
        field: `${field}/${index}`,
        message: `"${text}" is not "key op value" with op one of = != < <= > >= ~, or "key exists"`,
      });
      return [];
    }
    const [, key, operator, raw] = match as unknown as [string, string, MetadataOperator, string];
    const value = parseValue(raw, operator);
    if (integerColumns.has(key) && !(typeof value === 'number' && Number.isSafeInteger(value))) {
      problems.push({
        field: `${field}/${index}`,
        message: `${key} is a whole number of bytes: compare it with a whole number`,
      });
      return [];
    }
    return [{ key, operator, value }];
  });
  if (problems.length > 0) throw validationFailed(problems);
  return conditions;
}

function parseValue(raw: string, operator: MetadataOperator): string | number {
  const quoted = /^"(.*)"$|^'(.*)'$/.exec(raw);
  if (quoted) return quoted[1] ?? quoted[2] ?? '';
  if (operator !== '~' && raw !== '' && Number.isFinite(Number(raw))) return Number(raw);
  return raw;
}
