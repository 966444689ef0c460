import { formatTime } from '../components/format.ts';

/** The date part of an API date or timestamp, as an `<input type="date">` holds it. */
export function toDateInput(value: string | null): string {
  return value ? value.slice(0, 10) : '';
}

/**
 * An experiment date as people read it: a plain date (from a proposal, or typed in the form) stays a date
 * rather than becoming local midnight; a timestamp (the actual start or stop) shows its local time.
 */
export function formatExperimentDate(value: string | null): string {
  if (!value) return '';
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : formatTime(value);
}
