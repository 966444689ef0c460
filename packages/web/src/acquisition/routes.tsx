import type { RouteObject } from 'react-router';

/** Running DAQs and uploads, live. */
export const acquisitionRoutes: RouteObject[] = [];
