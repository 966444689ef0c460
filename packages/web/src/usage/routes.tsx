import type { RouteObject } from 'react-router';

/** The facility's resource utilization. */
export const usageRoutes: RouteObject[] = [];
