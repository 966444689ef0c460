import type { RouteObject } from 'react-router';

/** Users, stations, tokens, the audit log (admins). */
export const adminRoutes: RouteObject[] = [];
