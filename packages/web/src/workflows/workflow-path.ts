import { ApiError } from '@photon-dm/client';

/** The portal's address of a workflow view. */
export function workflowPath(workflow: { owner: string; name: string }, suffix = ''): string {
  return `/workflows/${encodeURIComponent(workflow.owner)}/${encodeURIComponent(workflow.name)}${suffix}`;
}

/** A 404 from the API: the thing does not exist, or the caller may not know that it does. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}
