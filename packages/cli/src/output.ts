/**
 * What `dm` prints. People get aligned plain-text tables and `key: value` records; scripts get the API's
 * JSON with `--json` and nothing else on stdout, so `dm ... --json | jq` always parses.
 */

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/**
 * Text for one cell: null and undefined as `-` (an empty cell would shift the eye to the next column),
 * arrays comma-separated, objects as JSON, everything else (dates too) as-is.
 *
 * @example
 * formatValue(['alice', 'bob']) // 'alice, bob'
 */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(formatValue).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  // Line breaks in a description would tear a table apart.
  return String(value).replace(/\r?\n/g, ' ');
}

/**
 * Columns padded to their widest cell, separated by two spaces; no trailing spaces. Width counts code
 * points, so names with accents still line up.
 *
 * @example
 * formatTable([{ name: 'a', n: 1 }], [{ header: 'NAME', value: (r) => r.name }, { header: 'N', value: (r) => r.n }])
 * // 'NAME  N\na     1'
 */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = [
    columns.map((c) => c.header),
    ...rows.map((row) => columns.map((c) => formatValue(c.value(row)))),
  ];
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => length(line[index] ?? ''))));
  return cells
    .map((line) =>
      line
        .map((cell, index) =>
          index === line.length - 1 ? cell : cell + ' '.repeat((widths[index] ?? 0) - length(cell)),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * One `key: value` line per field, keys padded so the values line up.
 *
 * @example
 * formatRecord({ name: 'XPCS', description: null }) // 'name:        XPCS\ndescription: -'
 */
export function formatRecord(record: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(record);
  const width = Math.max(0, ...entries.map(([key]) => length(key)));
  return entries.map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${formatValue(value)}`).join('\n');
}

/**
 * The `--json` form: pretty, two spaces, one trailing newline.
 *
 * @example
 * process.stdout.write(formatJson({ items: [], nextCursor: null }));
 */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function length(text: string): number {
  return [...text].length;
}
