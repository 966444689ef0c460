/**
 * Which events a caller may see: admins all; others those of experiments they may read (members, the
 * station's managers: the rule of experiments/access.ts) and those that concern them by `user_id`; events
 * with neither are admin-only.
 *
 * The readable experiments are loaded once and reloaded when older than `maxAgeMs`, never per event. The
 * caller's token is checked again at each reload, so a revoked token, a disabled account or a lost admin
 * right ends or narrows the stream within `maxAgeMs`, and so does a membership change.
 */
import type { Kysely } from 'kysely';
import type { Principal } from '../authorization/principal.ts';
import type { Database } from '../db/tables.ts';
import { visibleExperimentIds } from '../experiments/lookup.ts';
import type { EventRecord } from './store.ts';

export interface Visibility {
  /** Reloads what the caller may see if it is older than `maxAgeMs`; throws when the token is refused. */
  refresh(): Promise<void>;
  canSee(event: EventRecord): boolean;
}

export function createVisibility(
  db: Kysely<Database>,
  principal: Principal,
  reauthenticate: () => Promise<Principal>,
  maxAgeMs = 2_000,
): Visibility {
  let current = principal;
  let readable = new Set<number>();
  let loadedAt = Number.NEGATIVE_INFINITY;

  return {
    async refresh() {
      if (performance.now() - loadedAt < maxAgeMs) return;
      current = await reauthenticate();
      readable = current.isAdmin ? new Set() : new Set(await visibleExperimentIds(db, current.userId));
      loadedAt = performance.now();
    },
    canSee(event) {
      if (current.isAdmin) return true;
      if (event.user_id !== null && event.user_id === current.userId) return true;
      return event.experiment_id !== null && readable.has(event.experiment_id);
    },
  };
}
