import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldProblem } from '../errors/app-error.ts';

/**
 * Two validators. Bodies are JSON and must already have the right types: `"5"` for a number is an error,
 * and unknown fields are rejected, not silently dropped (Fastify's default strips them). Query strings and
 * path parameters are text by nature, so they are coerced.
 */
function makeAjv(coerceTypes: boolean | 'array'): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
    // Gives errors their schema, so a pattern failure can say what the pattern means.
    verbose: true,
  });
  addFormats.default(ajv);
  ajv.addFormat('date-or-timestamp', { type: 'string', validate: isCalendarDateOrTimestamp });
  return ajv;
}

const dateOrTimestamp =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2})(?::?(\d{2}))?)?)?$/;

/**
 * A day or a time that exists on the calendar: the pattern alone would let `2026-02-30` or
 * `2026-13-45T99:99:99Z` through, and they would be stored and sorted as if they were dates.
 *
 * @example
 * isCalendarDateOrTimestamp('2028-02-29') // true (a leap year)
 * isCalendarDateOrTimestamp('2026-02-30') // false
 */
export function isCalendarDateOrTimestamp(text: string): boolean {
  const match = dateOrTimestamp.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second, , offsetHours, offsetMinutes] = match
    .slice(1)
    .map((part) => (part === undefined ? 0 : Number(part)));
  if (year === undefined || month === undefined || day === undefined) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    year >= 1 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    (hour ?? 0) <= 23 &&
    (minute ?? 0) <= 59 &&
    (second ?? 0) <= 59 &&
    (offsetHours ?? 0) <= 23 &&
    (offsetMinutes ?? 0) <= 59
  );
}

const strictAjv = makeAjv(false);
const coercingAjv = makeAjv('array');

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strictAjv : coercingAjv;
  return ajv.compile(schema as object);
};

/** Turns Ajv's errors into one entry per field, named the way the client wrote it (`users/0`, `name`). */
export function describeValidationErrors(part: string, errors: ErrorObject[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    let field = error.instancePath.replace(/^\//, '');
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'additionalProperties') {
      const extra = String((error.params as { additionalProperty: string }).additionalProperty);
      field = field ? `${field}/${extra}` : extra;
      message = 'is not a known field';
    } else if (error.keyword === 'required') {
      const missing = String((error.params as { missingProperty: string }).missingProperty);
      field = field ? `${field}/${missing}` : missing;
      message = 'is required';
    } else if (
      (error.keyword === 'pattern' || error.keyword === 'format') &&
      error.parentSchema?.description
    ) {
      message = `must be ${error.parentSchema.description}`;
    }
    // anyOf/oneOf repeat the branch errors; keep one problem per field and message.
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf') continue;
    const name = field === '' ? part : field;
    if (!problems.some((p) => p.field === name && p.message === message))
      problems.push({ field: name, message });
  }
  return problems;
}
