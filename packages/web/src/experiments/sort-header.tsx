import type { ExperimentSort } from '@photon-dm/client';
import { Link, useSearchParams } from 'react-router';

/**
 * A column header that orders the list by its column: a link (so it works by keyboard and can be opened in
 * a new tab) that sets `sort` in the URL, ascending first, then descending. `aria-sort` tells screen readers.
 */
export function SortHeader({ column, label, sort }: { column: string; label: string; sort: ExperimentSort }) {
  const [params] = useSearchParams();
  const active = sort.replace(/^-/, '') === column;
  const descending = sort.startsWith('-');
  const next = new URLSearchParams(params);
  const nextSort = active && !descending ? `-${column}` : column;
  if (nextSort === 'name') next.delete('sort');
  else next.set('sort', nextSort);
  const ariaSort = active ? (descending ? 'descending' : 'ascending') : 'none';
  return (
    <th scope="col" aria-sort={ariaSort}>
      <Link to={`?${next}`} replace className="sort-link">
        {label}
        <span aria-hidden="true" className="sort-arrow">
          {active ? (descending ? ' ▼' : ' ▲') : ''}
        </span>
        <span className="visually-hidden">, sort {active && !descending ? 'descending' : 'ascending'}</span>
      </Link>
    </th>
  );
}
