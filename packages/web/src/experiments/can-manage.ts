import type { Experiment, User } from '@photon-dm/client';

/**
 * Whether to offer the manager's controls (edit, start/stop, members): admins and the station's managers.
 * Only hides buttons; the API decides, and its refusal would be shown.
 */
export function canManage(user: User, experiment: Pick<Experiment, 'experimentStation'>): boolean {
  return user.isAdmin || user.managedStations.includes(experiment.experimentStation);
}
