/**
 * The lastError of work this process runs that the database cannot take yet. When the database's disk is
 * full, a DAQ monitor or an upload cannot write why it waits: that is just when a person asks. The runner
 * notes the message here, its service answers with it, and the first write that gets through saves it and
 * clears the note. Held per process: with roles split (docs/operations.md) the api process shows the saved
 * lastError, which on PostgreSQL usually gets through (a small update fits in its page).
 *
 * @example
 * unsaved.note(daq.id, 'the database's disk is full; ...');   // its write failed
 * unsaved.lastError(row.id, row.last_error);                  // what GET /daqs/{id} shows
 * unsaved.saved(daq.id);                                      // a renewal got through
 */
export class UnsavedErrors {
  private readonly errors = new Map<number, string>();

  note(id: number, message: string): void {
    this.errors.set(id, message);
  }

  /** The row's state is written (or the run ended): the database says it from now on. */
  saved(id: number): void {
    this.errors.delete(id);
  }

  /** What to show as the lastError of `id`: the unsaved one, else the saved one. */
  lastError(id: number, saved: string | null): string | null {
    return this.errors.get(id) ?? saved;
  }
}
