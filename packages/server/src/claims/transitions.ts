/**
 * A kind of work's status machine, written down once: for each status, the statuses it may move to. Each
 * kind keeps its table in its folder (jobs/transitions.ts, daq/transitions.ts, uploads/transitions.ts). A
 * change is made by one guarded UPDATE (`WHERE id = ? AND status IN (...)`), so of two processes only one
 * wins; `statusesBefore` gives that guard from the table, so the table and the SQL cannot drift apart.
 */
export type Transitions<Status extends string> = { readonly [From in Status]: readonly Status[] };

/** Whether a `from` item may move to `to`. */
export function mayMove<Status extends string>(
  table: Transitions<Status>,
  from: Status,
  to: Status,
): boolean {
  return table[from].includes(to);
}

/**
 * The statuses from which an item may move to `to`, in the table's order: the guard of the UPDATE.
 *
 * @example
 * db.updateTable('uploads').set({ status: 'aborted' }).where('status', 'in', statusesBefore(uploadTransitions, 'aborted'))
 */
export function statusesBefore<Status extends string>(table: Transitions<Status>, to: Status): Status[] {
  return statusesOf(table).filter((from) => table[from].includes(to));
}

/** Every allowed move as `from → to`, in the table's order (what the tables' tests list). */
export function movesOf<Status extends string>(table: Transitions<Status>): string[] {
  return statusesOf(table).flatMap((from) => table[from].map((to) => `${from} → ${to}`));
}

function statusesOf<Status extends string>(table: Transitions<Status>): Status[] {
  return Object.keys(table) as Status[];
}
