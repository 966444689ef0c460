import type { CatalogFile } from '@photon-dm/client';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, type Ref, useEffect, useId, useRef, useState } from 'react';
import { formatBytes, formatTime } from '../components/format.ts';

/** Pixels; fixed, so the virtualizer knows where every row is without measuring it. */
const rowHeight = 36;
/** Ask for the next page this many rows before the end, so scrolling rarely waits. */
const prefetchRows = 100;

export interface FileListProps {
  files: CatalogFile[];
  total: number | undefined;
  hasMore: boolean;
  loading: boolean;
  selected: ReadonlySet<string>;
  openPath: string | undefined;
  onLoadMore(): void;
  onToggle(path: string): void;
  onOpen(path: string): void;
  /** The grid itself, to give it the focus back (when the panel closes). */
  gridRef?: Ref<HTMLTableElement>;
}

/**
 * The files as a grid that holds in the DOM only the rows in view (@tanstack/react-virtual), however many
 * are loaded. The grid is one tab stop: arrow keys, Page Up/Down, Home and End move the active row, Enter
 * opens its panel, Space selects it for download.
 */
export function FileList(props: FileListProps) {
  const { files, hasMore, loading, onLoadMore } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const idPrefix = useId();
  const virtualizer = useVirtualizer({
    count: files.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const rows = virtualizer.getVirtualItems();
  const lastInView = rows.at(-1)?.index ?? 0;

  // Checked again when a load ends (`loading` in the dependencies): a request made while another was in
  // flight is dropped, and a refresh (a file was cataloged) supersedes a page being loaded and may end with
  // as many rows as before. Without this check nothing would change afterwards (not the rows, not the
  // scroll position, not End pressed again at the last row) and the list would stop loading for good.
  useEffect(() => {
    if (!loading && hasMore && lastInView >= files.length - prefetchRows) onLoadMore();
  }, [loading, hasMore, lastInView, files.length, onLoadMore]);
  useEffect(() => {
    if (active >= files.length && files.length > 0) setActive(files.length - 1);
  }, [active, files.length]);

  function move(to: number) {
    const index = Math.max(0, Math.min(files.length - 1, to));
    setActive(index);
    virtualizer.scrollToIndex(index, { align: 'auto' });
  }

  function onKeyDown(event: KeyboardEvent) {
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 400) / rowHeight) - 1);
    const file = files[active];
    const moves: Record<string, number> = {
      ArrowDown: active + 1,
      ArrowUp: active - 1,
      PageDown: active + page,
      PageUp: active - page,
      Home: 0,
      End: files.length - 1,
    };
    const target = moves[event.key];
    if (target !== undefined) move(target);
    else if (event.key === 'Enter' && file) props.onOpen(file.experimentFilePath);
    else if (event.key === ' ' && file) props.onToggle(file.experimentFilePath);
    else return;
    event.preventDefault();
  }

  const rowId = (index: number) => `${idPrefix}-row-${index}`;
  return (
    <div ref={scroller} className="file-grid">
      <table
        ref={props.gridRef}
        // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: ARIA in HTML allows role=grid on a table, which makes it one tab stop with the grid pattern's keys
        role="grid"
        aria-label="Files"
        aria-rowcount={(props.total ?? files.length) + 1}
        aria-multiselectable="true"
        aria-busy={props.loading}
        tabIndex={0}
        aria-activedescendant={files.length > 0 ? rowId(active) : undefined}
        onKeyDown={onKeyDown}
      >
        <thead>
          <tr className="file-row file-header" aria-rowindex={1}>
            <th scope="col">
              <span className="visually-hidden">Selected</span>
            </th>
            <th scope="col">Path</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">Modified</th>
            <th scope="col">Origin</th>
          </tr>
        </thead>
        <tbody className="file-rows" style={{ height: virtualizer.getTotalSize() }}>
          {rows.map((row) => {
            const file = files[row.index];
            // The virtualizer counts rows from the list it was last given: none past its end.
            if (file === undefined) return null;
            const path = file.experimentFilePath;
            const classes = ['file-row'];
            if (row.index === active) classes.push('active');
            if (path === props.openPath) classes.push('open');
            return (
              <tr
                key={file.id}
                id={rowId(row.index)}
                aria-rowindex={row.index + 2}
                aria-selected={props.selected.has(path)}
                className={classes.join(' ')}
                style={{ transform: `translateY(${row.start}px)`, height: rowHeight }}
              >
                <td>
                  <input
                    type="checkbox"
                    tabIndex={-1}
                    aria-label={`Select ${path}`}
                    checked={props.selected.has(path)}
                    onChange={() => {
                      setActive(row.index);
                      props.onToggle(path);
                    }}
                  />
                </td>
                <td className="file-path">
                  <button
                    type="button"
                    tabIndex={-1}
                    className="link-button"
                    title={path}
                    onClick={() => {
                      setActive(row.index);
                      props.onOpen(path);
                    }}
                  >
                    {path}
                  </button>
                </td>
                <td className="num">{formatBytes(file.fileSize)}</td>
                <td>{formatTime(file.fileModificationTime)}</td>
                <td>{originOf(file)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Which DAQ or upload brought the file in, as staff name them. */
export function originOf(file: CatalogFile): string {
  return file.originId === null ? file.originType : `${file.originType} ${file.originId}`;
}
