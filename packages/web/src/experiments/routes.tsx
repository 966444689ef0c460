import type { RouteObject } from 'react-router';

/** Experiments: the list, one experiment, creating and editing (managers). */
export const experimentRoutes: RouteObject[] = [
  {
    path: '/experiments',
    lazy: () => import('./experiment-list.tsx').then((m) => ({ Component: m.ExperimentList })),
  },
];
