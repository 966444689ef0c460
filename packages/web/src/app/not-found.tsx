import { Link } from 'react-router';

export function NotFound({ what = 'page' }: { what?: string }) {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        This {what} does not exist, or you do not have access to it.{' '}
        <Link to="/experiments">Your experiments</Link>
      </p>
    </section>
  );
}
