import type { RouteObject } from 'react-router';

/** Workflows: list, view, the editor (CodeMirror loads with the editor's routes only). */
export const workflowRoutes: RouteObject[] = [
  {
    path: '/workflows',
    lazy: () => import('./workflow-list.tsx').then((m) => ({ Component: m.WorkflowList })),
  },
  {
    path: '/workflows/new',
    lazy: () => import('./workflow-pages.tsx').then((m) => ({ Component: m.NewWorkflow })),
  },
  {
    path: '/workflows/:owner/:name',
    lazy: () => import('./workflow-view.tsx').then((m) => ({ Component: m.WorkflowView })),
  },
  {
    path: '/workflows/:owner/:name/edit',
    lazy: () => import('./workflow-pages.tsx').then((m) => ({ Component: m.EditWorkflow })),
  },
];
