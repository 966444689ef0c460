/**
 * The portal: a session, then the router. Each feature's views load with their route (code splitting), so the
 * first load carries only the shell, the sign-in page and the client.
 */
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import { acquisitionRoutes } from '../acquisition/routes.tsx';
import { adminRoutes } from '../admin/routes.tsx';
import { experimentRoutes } from '../experiments/routes.tsx';
import { fileRoutes } from '../files/routes.tsx';
import { jobRoutes } from '../jobs/routes.tsx';
import { SessionProvider } from '../session/session.tsx';
import { SignIn } from '../session/sign-in.tsx';
import { usageRoutes } from '../usage/routes.tsx';
import { workflowRoutes } from '../workflows/routes.tsx';
import { Layout } from './layout.tsx';
import { NotFound } from './not-found.tsx';

const router = createBrowserRouter([
  { path: '/sign-in', element: <SignIn /> },
  {
    element: <Layout />,
    children: [
      { index: true, element: <Navigate to="/experiments" replace /> },
      ...experimentRoutes,
      ...fileRoutes,
      ...acquisitionRoutes,
      ...workflowRoutes,
      ...jobRoutes,
      ...usageRoutes,
      ...adminRoutes,
      { path: '*', element: <NotFound /> },
    ],
  },
]);

export function App() {
  return (
    <SessionProvider>
      <RouterProvider router={router} />
    </SessionProvider>
  );
}
