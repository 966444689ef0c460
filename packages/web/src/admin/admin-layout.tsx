import { NavLink, Outlet } from 'react-router';
import { NotFound } from '../app/not-found.tsx';
import { useSignedIn } from '../session/session.tsx';
import './admin.css';

/**
 * The operator's pages, as tabs. Only admins see them; to anyone else `/admin` does not exist (the API
 * would refuse them anyway).
 */
export function AdminLayout() {
  const { user } = useSignedIn();
  if (!user.isAdmin) return <NotFound />;
  return (
    <section>
      <h1>Administration</h1>
      <nav aria-label="Administration" className="tabs">
        <NavLink to="/admin/users">Users</NavLink>
        <NavLink to="/admin/stations">Stations</NavLink>
        <NavLink to="/admin/sites">Sites</NavLink>
        <NavLink to="/admin/tokens">Tokens</NavLink>
        <NavLink to="/admin/audit">Audit log</NavLink>
      </nav>
      <Outlet />
    </section>
  );
}
