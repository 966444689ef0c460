import type { RouteObject } from 'react-router';

/** Running DAQs and uploads, live. */
export const acquisitionRoutes: RouteObject[] = [
  {
    path: '/acquisition',
    lazy: () => import('./acquisition-page.tsx').then((m) => ({ Component: m.AcquisitionPage })),
  },
];
