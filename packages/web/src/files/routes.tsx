import type { RouteObject } from 'react-router';

/** The file browser of an experiment; `?file=` opens one file's panel. */
export const fileRoutes: RouteObject[] = [
  {
    path: '/experiments/:name/files',
    lazy: () => import('./file-browser.tsx').then((m) => ({ Component: m.FileBrowser })),
  },
];
