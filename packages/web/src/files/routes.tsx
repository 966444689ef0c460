import type { RouteObject } from 'react-router';

/** The file browser of an experiment. */
export const fileRoutes: RouteObject[] = [];
