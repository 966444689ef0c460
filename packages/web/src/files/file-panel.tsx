import type { CatalogFile } from '@photon-dm/client';
import { useEffect, useRef, useState } from 'react';
import { useResource } from '../api/use-resource.ts';
import { ErrorMessage } from '../components/error-message.tsx';
import { formatBytes, formatNumber, formatTime } from '../components/format.ts';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSignedIn } from '../session/session.tsx';
import { downloadFiles } from './download.ts';
import { originOf } from './file-list.tsx';
import { MetadataEditor } from './metadata-editor.tsx';
import { MetadataTree } from './metadata-tree.tsx';

/**
 * One file: where it is, its size and times, checksums, which DAQ or upload brought it, its user metadata
 * (editable) and what the catalog read from inside it. Opened from the list (`?file=` in the URL).
 */
export function FilePanel(props: {
  experiment: string;
  path: string;
  onClose(): void;
  onChanged(file: CatalogFile): void;
}) {
  const { client } = useSignedIn();
  const { experiment, path } = props;
  const loaded = useResource(() => client.files.show(experiment, path), [client, experiment, path]);
  const [saved, setSaved] = useState<CatalogFile>();
  const [downloadError, setDownloadError] = useState<unknown>();
  const heading = useRef<HTMLHeadingElement>(null);
  const file = saved?.experimentFilePath === path ? saved : loaded.data;

  // Keyboard users land in the panel they opened.
  useEffect(() => heading.current?.focus(), []);

  return (
    <aside className="file-panel panel" aria-labelledby="file-panel-title">
      <div className="toolbar">
        <h2 id="file-panel-title" ref={heading} tabIndex={-1}>
          {path.split('/').at(-1)}
        </h2>
        <button type="button" className="secondary" onClick={props.onClose}>
          Close
        </button>
      </div>
      <ErrorMessage error={loaded.error} />
      {file && (
        <>
          <div className="toolbar">
            <button
              type="button"
              onClick={() => {
                setDownloadError(undefined);
                downloadFiles(client, experiment, [path]).catch(setDownloadError);
              }}
            >
              Download
            </button>
          </div>
          <ErrorMessage error={downloadError} />
          <dl className="facts">
            <dt>Path</dt>
            <dd>
              <code>{file.experimentFilePath}</code>
            </dd>
            <dt>In storage</dt>
            <dd>
              <code>{file.storageFilePath}</code>
            </dd>
            <dt>Size</dt>
            <dd>
              {formatBytes(file.fileSize)} ({formatNumber(file.fileSize)} bytes)
            </dd>
            <dt>Modified</dt>
            <dd>{formatTime(file.fileModificationTime)}</dd>
            <dt>Cataloged</dt>
            <dd>{formatTime(file.createdAt)}</dd>
            <dt>Updated</dt>
            <dd>{formatTime(file.updatedAt)}</dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={file.status} />
            </dd>
            <dt>Origin</dt>
            <dd>
              {originOf(file)}
              {file.source && <code> from {file.source}</code>}
              {file.transferMs !== null && ` (${formatNumber(file.transferMs)} ms)`}
            </dd>
            <dt>MD5</dt>
            <dd>
              <code>{file.md5Sum}</code>
            </dd>
            <dt>SHA-256</dt>
            <dd>
              <code>{file.sha256Sum}</code>
            </dd>
          </dl>
          <h3>User metadata</h3>
          <MetadataEditor
            file={file}
            onSaved={(changed) => {
              setSaved(changed);
              props.onChanged(changed);
            }}
          />
          <h3>HDF5/NeXus content</h3>
          <MetadataTree metadata={file.metadata} />
        </>
      )}
    </aside>
  );
}
