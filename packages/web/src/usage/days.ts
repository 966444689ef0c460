/** UTC days as the usage API counts them (YYYY-MM-DD), and the series a chart needs from its rows. */
const dayMs = 86_400_000;

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** The day `n` days before `day`. */
export function daysBefore(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - n * dayMs).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += dayMs)
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** One array of values per key, aligned on `days` (0 where a day has no row). */
export function seriesByKey<T extends { day: string }>(
  days: string[],
  rows: T[],
  keyOf: (row: T) => string,
  amountOf: (row: T) => number,
): Map<string, number[]> {
  const index = new Map(days.map((day, i) => [day, i]));
  const series = new Map<string, number[]>();
  for (const row of rows) {
    const values = series.get(keyOf(row)) ?? days.map(() => 0);
    const at = index.get(row.day);
    if (at !== undefined) values[at] = (values[at] ?? 0) + amountOf(row);
    series.set(keyOf(row), values);
  }
  return series;
}
