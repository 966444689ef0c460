/**
 * The frame of every signed-in page: a skip link, the navigation, who is signed in, and the page. A visitor
 * who is not signed in is sent to the sign-in page, which brings them back here afterwards.
 */
import { Navigate, NavLink, Outlet, useLocation } from 'react-router';
import { isStaff, useSession } from '../session/session.tsx';

export function Layout() {
  const { state, signOut } = useSession();
  const location = useLocation();
  if (state.status === 'checking') return <p className="loading">Loading…</p>;
  if (state.status === 'signed-out') {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/sign-in?next=${next}${state.reason === 'expired' ? '&expired=1' : ''}`} replace />;
  }
  const { user } = state;
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <span className="brand">Photon DM</span>
        <nav aria-label="Main">
          <NavLink to="/experiments">Experiments</NavLink>
          <NavLink to="/acquisition">Data acquisition</NavLink>
          <NavLink to="/workflows">Workflows</NavLink>
          <NavLink to="/jobs">Jobs</NavLink>
          {isStaff(user) && <NavLink to="/usage">Usage</NavLink>}
          {user.isAdmin && <NavLink to="/admin">Admin</NavLink>}
        </nav>
        <div className="who">
          <span data-testid="signed-in-as">
            <span className="visually-hidden">Signed in as </span>
            {user.displayName ?? user.username}
          </span>
          <button type="button" className="link-button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
