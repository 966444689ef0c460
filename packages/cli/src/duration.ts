/**
 * Durations as operators type them on the command line (`30s`, `5m`, `12h`, `2d`, `1h30m`), in seconds.
 * Only seconds take a fraction, to the millisecond (`0.5s`, `1m2.25s`): a fast detector settles in half a
 * second, while `1.5h` is more likely a typo than a plan, and the server keeps milliseconds.
 */
import { InvalidArgumentError } from 'commander';

const unitSeconds = { w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1 } as const;
type Unit = keyof typeof unitSeconds;

const wholePattern = /^(?:\d+[wdhm]|\d+(?:\.\d{1,3})?s)+$/;
const partPattern = /(\d+(?:\.\d+)?)([wdhms])/g;

/**
 * Seconds in `text`, or `undefined` when it is not a duration. A unit is required: a bare `5` could be
 * seconds or minutes, and guessing wrong keeps a DAQ running for a day.
 *
 * @example
 * parseDuration('1h30m') // 5400
 * parseDuration('0.5s') // 0.5
 * parseDuration('90') // undefined
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (!wholePattern.test(trimmed)) return undefined;
  // Summed in whole milliseconds, so 0.1s + 0.2s is 0.3 and not 0.30000000000000004.
  let milliseconds = 0;
  for (const [, amount, unit] of trimmed.matchAll(partPattern)) {
    milliseconds += Math.round(Number(amount) * 1000) * unitSeconds[unit as Unit];
  }
  return Number.isSafeInteger(milliseconds) ? milliseconds / 1000 : undefined;
}

/**
 * Commander argument parser for `--settle-time 5s`; zero is allowed (take files as soon as they are seen).
 * A bad value is a usage error (exit 2).
 *
 * @example
 * command.option('--settle-time <duration>', 'like 5s', duration)
 */
export function duration(text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined) {
    throw new InvalidArgumentError('expected a duration like 30s, 5m, 12h, 2d, 1h30m or 0.5s');
  }
  return seconds;
}

/**
 * Like `duration`, but zero is refused: `--duration 0s` would stop a DAQ before it saw anything.
 *
 * @example
 * command.option('--duration <duration>', 'stop after this long', positiveDuration)
 */
export function positiveDuration(text: string): number {
  const seconds = duration(text);
  if (seconds === 0) throw new InvalidArgumentError('expected a duration longer than 0s');
  return seconds;
}

/**
 * The shortest text `parseDuration` reads back as `seconds`.
 *
 * @example
 * formatDuration(5400) // '1h30m'
 * formatDuration(0.5) // '0.5s'
 * formatDuration(0) // '0s'
 */
export function formatDuration(seconds: number): string {
  let left = Math.max(0, Math.round(seconds * 1000));
  let text = '';
  // No weeks: beam time is scheduled in days, so "14d" reads more naturally than "2w" next to a run plan.
  for (const unit of ['d', 'h', 'm'] as const) {
    const amount = Math.floor(left / (unitSeconds[unit] * 1000));
    if (amount > 0) text += `${amount}${unit}`;
    left -= amount * unitSeconds[unit] * 1000;
  }
  // A whole number of milliseconds over 1000 prints as its shortest decimal: 1500 -> 1.5.
  if (left > 0) text += `${left / 1000}s`;
  return text === '' ? '0s' : text;
}
