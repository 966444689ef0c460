import { ErrorMessage } from '../components/error-message.tsx';
import type { PagedList } from './paged-list.ts';

/** The foot of a paged list: its error, how many rows are shown, and "Load more" while there are more. */
export function LoadMoreButton({ list }: { list: PagedList<unknown> }) {
  return (
    <>
      <ErrorMessage error={list.error} />
      <div className="toolbar">
        {list.hasMore && (
          <button type="button" className="secondary" disabled={list.loading} onClick={list.loadMore}>
            {list.loading ? 'Loading…' : 'Load more'}
          </button>
        )}
        <span className="muted">{list.items.length} shown</span>
      </div>
    </>
  );
}
