import type { RouteObject } from 'react-router';

/** Workflows: list, view, the editor. */
export const workflowRoutes: RouteObject[] = [];
