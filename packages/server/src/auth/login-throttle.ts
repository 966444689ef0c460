/**
 * Slows password guessing: once a username, or a client address, has too many failed logins within the
 * window, its next attempts are refused with 429 `too_many_attempts` (and `Retry-After`) without checking
 * the password, until the oldest of those failures leaves the window.
 *
 * Glossary:
 * - failure: a login refused for a wrong password, an unknown user or a disabled account. Attempts refused
 *   by the throttle itself are not failures, so a script retrying a stale password every few seconds keeps
 *   its username locked but adds nothing more to its address's count.
 * - window: the sliding period over which failures are counted (10 minutes).
 *
 * In memory, per api process (see docs/operations.md): with N processes behind a load balancer an attacker
 * gets up to N times the limit. Normal logins are untouched: a check is two map lookups.
 */
import { AppError } from '../errors/app-error.ts';

export interface LoginThrottleOptions {
  /** Failures of one username within the window before it is refused (5). */
  maxFailuresPerUsername?: number;
  /**
   * Failures from one address within the window, over all usernames (50): higher, because many people
   * share one address behind NAT or a proxy, and each locked username adds at most its own 5.
   */
  maxFailuresPerAddress?: number;
  windowMs?: number;
  /** Keys remembered per kind before old ones are dropped, so a flood of made-up usernames is bounded. */
  maxKeys?: number;
  /** Milliseconds since the epoch: the injected clock (`context.now()`), which tests move. */
  clock: () => number;
}

export interface LoginThrottle {
  /** Throws `too_many_attempts` when this username or address is locked. */
  check(username: string, address: string): void;
  recordFailure(username: string, address: string): void;
  /** A correct password clears its username's failures (not its address's: others may be guessing there). */
  recordSuccess(username: string): void;
}

/**
 * @example
 * const throttle = createLoginThrottle({ clock: () => Date.parse(context.now()) });
 * throttle.check('alice', request.ip); // throws AppError('too_many_attempts') when locked
 * if (!valid) throttle.recordFailure('alice', request.ip); else throttle.recordSuccess('alice');
 */
export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const windowMs = options.windowMs ?? 10 * 60_000;
  const { clock } = options;
  const maxKeys = options.maxKeys ?? 10_000;
  const usernames = createFailureLog(options.maxFailuresPerUsername ?? 5, windowMs, maxKeys);
  const addresses = createFailureLog(options.maxFailuresPerAddress ?? 50, windowMs, maxKeys);

  return {
    check(username, address) {
      const now = clock();
      const waitMs = Math.max(usernames.lockedFor(username, now), addresses.lockedFor(address, now));
      if (waitMs <= 0) return;
      const retryAfterSeconds = Math.ceil(waitMs / 1000);
      throw new AppError('too_many_attempts', `too many failed logins: try again in ${retryAfterSeconds} s`, {
        retryAfterSeconds,
      });
    },
    recordFailure(username, address) {
      const now = clock();
      usernames.add(username, now);
      addresses.add(address, now);
    },
    recordSuccess(username) {
      usernames.clear(username);
    },
  };
}

/** The most recent failures per key (at most `limit` of them: older ones cannot matter). */
function createFailureLog(limit: number, windowMs: number, maxKeys: number) {
  const failures = new Map<string, number[]>();

  const forget = (now: number) => {
    for (const [key, times] of failures) {
      if ((times.at(-1) ?? 0) <= now - windowMs) failures.delete(key);
    }
    // Still too many live keys: drop the ones first seen longest ago (a Map iterates in insertion order).
    for (const key of failures.keys()) {
      if (failures.size <= maxKeys) break;
      failures.delete(key);
    }
  };

  return {
    /** Milliseconds until `key` may try again; 0 or less when it may now. */
    lockedFor(key: string, now: number): number {
      const times = failures.get(key);
      if (times === undefined || times.length < limit) return 0;
      return (times[0] ?? 0) + windowMs - now;
    },
    add(key: string, now: number): void {
      const times = (failures.get(key) ?? []).filter((time) => time > now - windowMs);
      times.push(now);
      failures.set(key, times.slice(-limit));
      if (failures.size > maxKeys) forget(now);
    },
    clear(key: string): void {
      failures.delete(key);
    },
  };
}
