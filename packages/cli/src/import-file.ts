/**
 * Reads the experiment lists facilities export from their proposal systems (`dm experiment import FILE`):
 * JSON (an array of experiments, or `{"experiments": [...]}`) or CSV with a header row. Every problem names
 * its line (CSV) or item (JSON) and column, because the person fixing it has the file open in a spreadsheet.
 */
import { readFileSync } from 'node:fs';
import type { ExperimentInput } from '@photon-dm/client';
import { parse } from 'csv-parse/sync';

export interface Proposals {
  experiments: ExperimentInput[];
  /** Where each experiment came from, e.g. `line 4` or `item 2`; same order as `experiments`. */
  origins: string[];
}

export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

type Field = keyof ExperimentInput;
const fields: readonly Field[] = [
  'name',
  'station',
  'type',
  'description',
  'pi',
  'users',
  'startDate',
  'endDate',
];

/** CSV headers and JSON keys compared without case, spaces, `_` or `-`: `Start Date`, `start_date`, `startDate`. */
function fieldOf(header: string): Field | undefined {
  const normalized = header.toLowerCase().replace(/[\s_-]/g, '');
  return fields.find((field) => field.toLowerCase() === normalized);
}

/**
 * Splits a users cell; proposal systems separate names with `;`, `,` or spaces.
 *
 * @example
 * splitUsers('alice; bob,carol  dave') // ['alice', 'bob', 'carol', 'dave']
 */
export function splitUsers(text: string): string[] {
  return text.split(/[\s,;]+/).filter((name) => name !== '');
}

/**
 * Reads FILE (or stdin for `-`): `.json` and `.csv` by extension, otherwise JSON if it starts with `[` or `{`.
 *
 * @example
 * const { experiments } = readProposalFile('2026-1-cycle.csv');
 */
export function readProposalFile(
  file: string,
  readStdin: () => string = () => readFileSync(0, 'utf8'),
): Proposals {
  let text: string;
  try {
    text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new ImportFileError(`cannot read ${file}: ${reason}`);
  }
  const source = file === '-' ? 'stdin' : file;
  const extension = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
  const looksJson =
    extension === 'json' || (extension !== 'csv' && /^\s*[[{]/.test(text.replace(/^\uFEFF/, '')));
  return looksJson ? parseProposalsJson(text, source) : parseProposalsCsv(text, source);
}

/**
 * @example
 * parseProposalsJson('[{"name": "e1", "station": "8-ID-I", "users": ["alice"]}]', 'cycle.json')
 */
export function parseProposalsJson(text: string, source: string): Proposals {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ImportFileError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { experiments?: unknown } | null)?.experiments;
  if (!Array.isArray(list)) {
    throw new ImportFileError(`${source}: expected an array of experiments or {"experiments": [...]}`);
  }
  const proposals: Proposals = { experiments: [], origins: [] };
  list.forEach((item: unknown, index) => {
    const origin = `item ${index + 1}`;
    const where = `${source} ${origin}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new ImportFileError(`${where}: expected an object with name, station, ...`);
    }
    const values: Partial<Record<Field, string>> = {};
    for (const [key, value] of Object.entries(item)) {
      const field = fieldOf(key);
      if (field === undefined)
        throw new ImportFileError(`${where}: unknown field "${key}" (known: ${fields.join(', ')})`);
      if (value === null || value === undefined) continue;
      if (field === 'users' && Array.isArray(value) && value.every((name) => typeof name === 'string')) {
        values.users = value.join(' ');
      } else if (typeof value === 'string') {
        values[field] = value;
      } else {
        const expected = field === 'users' ? 'an array of usernames' : 'a string';
        throw new ImportFileError(`${where}: field "${key}" must be ${expected}`);
      }
    }
    add(proposals, values, origin, source, (field) => `field "${field}"`);
  });
  return finish(proposals, source);
}

/** One CSV record as csv-parse returns it with `info` and `raw`. */
interface CsvRow {
  record: string[];
  raw: string;
  info: { lines: number };
}

/**
 * @example
 * parseProposalsCsv('name,station,users\ne1,8-ID-I,"alice;bob"\n', 'cycle.csv')
 */
export function parseProposalsCsv(text: string, source: string): Proposals {
  let rows: CsvRow[];
  try {
    // csv-parse takes its line ending from the first line; files edited on two systems mix them.
    rows = parse(text.replace(/\r\n?/g, '\n'), {
      bom: true,
      info: true,
      raw: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }) as unknown as CsvRow[]; // csv-parse's types do not follow the `info`/`raw` options.
  } catch (error) {
    throw new ImportFileError(`${source}: ${(error as Error).message}`);
  }
  const [header, ...records] = rows;
  if (!header)
    throw new ImportFileError(`${source}: the file is empty; expected a header row (name,station,...)`);

  const columns = header.record.map((title, index) => {
    const field = fieldOf(title);
    if (field === undefined) {
      const label = title === '' ? `column ${index + 1} has no header` : `unknown column "${title}"`;
      throw new ImportFileError(
        `${source} line 1: ${label} (known: ${fields.join(', ')}; or start_date, end_date)`,
      );
    }
    return field;
  });
  for (const [index, field] of columns.entries()) {
    if (columns.indexOf(field) !== index) {
      throw new ImportFileError(`${source} line 1: column "${header.record[index]}" repeats "${field}"`);
    }
  }
  for (const required of ['name', 'station'] as const) {
    if (!columns.includes(required)) throw new ImportFileError(`${source} line 1: no "${required}" column`);
  }

  const proposals: Proposals = { experiments: [], origins: [] };
  for (const { record, raw, info } of records) {
    const origin = `line ${firstLine(info.lines, raw)}`;
    // Spreadsheets pad rows with empty trailing cells; only a value beyond the header is a real problem.
    if (record.slice(columns.length).some((cell) => cell !== '')) {
      throw new ImportFileError(
        `${source} ${origin}: ${record.length} fields but the header has ${columns.length} (a comma in an unquoted value?)`,
      );
    }
    const values: Partial<Record<Field, string>> = {};
    columns.forEach((field, index) => {
      values[field] = record[index] ?? '';
    });
    add(
      proposals,
      values,
      origin,
      source,
      (field) => `column "${header.record[columns.indexOf(field)] ?? field}"`,
    );
  }
  return finish(proposals, source);
}

/** csv-parse reports the line a record ends on; a quoted cell may span lines, and people look for the first. */
function firstLine(endLine: number, raw: string): number {
  const content = raw.replace(/^\n+/, '').replace(/\n$/, '');
  return endLine - (content.match(/\n/g)?.length ?? 0);
}

function add(
  proposals: Proposals,
  values: Partial<Record<Field, string>>,
  origin: string,
  source: string,
  label: (field: Field) => string,
): void {
  const experiment: Partial<ExperimentInput> = {};
  for (const field of fields) {
    const value = values[field]?.trim();
    if (value === undefined || value === '') continue;
    if (field === 'users') experiment.users = splitUsers(value);
    else experiment[field] = value;
  }
  for (const required of ['name', 'station'] as const) {
    if (experiment[required] === undefined) {
      throw new ImportFileError(
        `${source} ${origin}: ${label(required)} is empty; every experiment needs a ${required}`,
      );
    }
  }
  const earlier = proposals.experiments.findIndex((other) => other.name === experiment.name);
  if (earlier >= 0) {
    throw new ImportFileError(
      `${source} ${origin}: experiment "${experiment.name}" is already on ${proposals.origins[earlier]}`,
    );
  }
  proposals.experiments.push(experiment as ExperimentInput);
  proposals.origins.push(origin);
}

function finish(proposals: Proposals, source: string): Proposals {
  if (proposals.experiments.length === 0) throw new ImportFileError(`${source}: no experiments in the file`);
  return proposals;
}

/**
 * Names the file position behind a server field path, so a server-side validation error points at the row.
 *
 * @example
 * describeImportField('experiments/2/startDate', ['line 2', 'line 3', 'line 4']) // 'line 4: startDate'
 */
export function describeImportField(field: string, origins: readonly string[]): string {
  const match = /^experiments\/(\d+)(?:\/(.+))?$/.exec(field);
  const origin = match ? origins[Number(match[1])] : undefined;
  if (!match || origin === undefined) return field;
  return match[2] ? `${origin}: ${match[2]}` : origin;
}
