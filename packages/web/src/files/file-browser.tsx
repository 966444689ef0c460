import { useCallback, useMemo, useRef, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useEvents } from '../api/use-events.ts';
import { useResource } from '../api/use-resource.ts';
import { ErrorMessage, fieldError, isFormLevel } from '../components/error-message.tsx';
import { formatNumber } from '../components/format.ts';
import { useSignedIn } from '../session/session.tsx';
import { downloadFiles } from './download.ts';
import { FileFilters } from './file-filters.tsx';
import { FileList } from './file-list.tsx';
import { FilePanel } from './file-panel.tsx';
import { type FileView, readFileView, writeFileView } from './file-query.ts';
import { useFilePages } from './use-file-pages.ts';
import './files.css';

/** New files come in bursts from a DAQ: one reload for a burst, not one per file. */
const refreshDelayMs = 500;

/**
 * An experiment's cataloged files: searched, sorted and paged by the server, shown in a virtualized list,
 * refreshed when the server says a file was cataloged (the live event stream, no polling).
 */
export function FileBrowser() {
  const experiment = useParams().name ?? '';
  const { client } = useSignedIn();
  const [params, setParams] = useSearchParams();
  const view = readFileView(params);
  const { pathGlob, where, sort } = view;
  const whereKey = where.join('\n');
  // biome-ignore lint/correctness/useExhaustiveDependencies: whereKey stands for the conditions
  const search = useMemo(
    () => ({ ...(pathGlob && { pathGlob }), ...(where.length > 0 && { where }) }),
    [pathGlob, whereKey],
  );
  const listQuery = useMemo(() => ({ ...search, sort }), [search, sort]);
  const pages = useFilePages(client, experiment, listQuery);
  const count = useResource(() => client.files.count(experiment, search), [client, experiment, search]);
  const keys = useResource(() => client.files.keys(experiment), [client, experiment]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [stale, setStale] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>();

  const grid = useRef<HTMLTableElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  // The refresh of the search shown when the timer ends, not of the one shown when it started: a filter
  // changed meanwhile would otherwise get the rows of the previous one (under the new one's count).
  const refresh = useRef(pages.refresh);
  refresh.current = pages.refresh;
  const reloadCount = count.reload;
  const reloadKeys = keys.reload;
  const onCataloged = useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      if (!refresh.current()) setStale(true);
      reloadCount();
      reloadKeys();
    }, refreshDelayMs);
  }, [reloadCount, reloadKeys]);
  // Once the stream follows, as if a file had come: one cataloged while it connected sent no event.
  useEvents({ types: ['file.cataloged'], experiment }, onCataloged, onCataloged);

  function update(change: Partial<FileView>) {
    // Opening or closing a file is a step Back undoes; refining the filters replaces the entry.
    setParams(writeFileView({ ...view, ...change }), { replace: !('file' in change) });
  }
  function toggle(path: string) {
    setSelected((previous) => {
      const next = new Set(previous);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });
  }

  const listError = pages.error ?? count.error;
  return (
    <section className="file-browser">
      <h1>
        Files of <Link to={`/experiments/${encodeURIComponent(experiment)}`}>{experiment}</Link>
      </h1>
      <FileFilters
        pathGlob={pathGlob}
        where={where}
        sort={sort}
        keys={keys.data ?? []}
        globError={fieldError(listError, 'pathGlob')}
        whereError={fieldError(listError, 'where')}
        onChange={update}
      />
      {isFormLevel(listError, ['pathGlob', 'where']) && <ErrorMessage error={listError} />}
      <div className="toolbar" aria-live="polite">
        <span data-testid="file-count">
          {count.data === undefined
            ? 'Counting…'
            : `${formatNumber(count.data)} ${count.data === 1 ? 'file matches' : 'files match'}`}
        </span>
        <span className="muted">
          {formatNumber(pages.items.length)} loaded{pages.loading ? ', loading…' : ''}
        </span>
        {stale && (
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setStale(false);
              pages.restart();
            }}
          >
            New files arrived: reload the list
          </button>
        )}
        <button
          type="button"
          disabled={selected.size === 0}
          onClick={() => {
            setDownloadError(undefined);
            downloadFiles(client, experiment, [...selected]).catch(setDownloadError);
          }}
        >
          Download selected ({formatNumber(selected.size)})
        </button>
        {selected.size > 0 && (
          <button type="button" className="secondary" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        )}
      </div>
      <ErrorMessage error={downloadError} />
      <div className={view.file ? 'file-layout with-panel' : 'file-layout'}>
        <FileList
          files={pages.items}
          total={count.data}
          hasMore={pages.hasMore}
          loading={pages.loading}
          selected={selected}
          openPath={view.file}
          onLoadMore={pages.loadMore}
          onToggle={toggle}
          onOpen={(path) => update({ file: path })}
          gridRef={grid}
        />
        {view.file && (
          <FilePanel
            key={view.file}
            experiment={experiment}
            path={view.file}
            onClose={() => {
              update({ file: undefined });
              // Back where the keyboard user was, on the row they opened.
              grid.current?.focus();
            }}
            onChanged={() => pages.refresh()}
          />
        )}
      </div>
      {!pages.loading && pages.items.length === 0 && !listError && <p>No files match.</p>}
    </section>
  );
}
