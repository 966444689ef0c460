import type { RouteObject } from 'react-router';

/** The facility's resource utilization (staff); uPlot loads with the view, never on the first page. */
export const usageRoutes: RouteObject[] = [
  {
    path: '/usage',
    lazy: () => import('./usage-page.tsx').then((m) => ({ Component: m.UsagePage })),
  },
];
