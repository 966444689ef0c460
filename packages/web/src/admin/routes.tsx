import { Navigate, type RouteObject } from 'react-router';

/** Users, stations, compute sites, tokens, the audit log (admins; anyone else gets the not-found page). */
export const adminRoutes: RouteObject[] = [
  {
    path: '/admin',
    lazy: () => import('./admin-layout.tsx').then((m) => ({ Component: m.AdminLayout })),
    children: [
      { index: true, element: <Navigate to="/admin/users" replace /> },
      { path: 'users', lazy: () => import('./users.tsx').then((m) => ({ Component: m.Users })) },
      { path: 'stations', lazy: () => import('./stations.tsx').then((m) => ({ Component: m.Stations })) },
      { path: 'sites', lazy: () => import('./sites.tsx').then((m) => ({ Component: m.Sites })) },
      { path: 'tokens', lazy: () => import('./tokens.tsx').then((m) => ({ Component: m.Tokens })) },
      { path: 'audit', lazy: () => import('./audit.tsx').then((m) => ({ Component: m.Audit })) },
    ],
  },
];
