import type { RouteObject } from 'react-router';

/** Processing jobs, live: the list and one job. */
export const jobRoutes: RouteObject[] = [
  {
    path: '/jobs',
    lazy: () => import('./job-list.tsx').then((m) => ({ Component: m.JobList })),
  },
  {
    path: '/jobs/:id',
    lazy: () => import('./job-detail.tsx').then((m) => ({ Component: m.JobDetail })),
  },
];
