import type { RouteObject } from 'react-router';

/** Processing jobs, live. */
export const jobRoutes: RouteObject[] = [];
