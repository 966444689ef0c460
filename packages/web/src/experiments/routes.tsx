import type { RouteObject } from 'react-router';

/** Experiments: the list, one experiment, creating and editing (managers). */
export const experimentRoutes: RouteObject[] = [
  {
    path: '/experiments',
    lazy: () => import('./experiment-list.tsx').then((m) => ({ Component: m.ExperimentList })),
  },
  {
    path: '/experiments/new',
    lazy: () => import('./experiment-new.tsx').then((m) => ({ Component: m.ExperimentNew })),
  },
  {
    path: '/experiments/:name',
    lazy: () => import('./experiment-detail.tsx').then((m) => ({ Component: m.ExperimentDetail })),
  },
  {
    path: '/experiments/:name/edit',
    lazy: () => import('./experiment-edit.tsx').then((m) => ({ Component: m.ExperimentEdit })),
  },
];
