/**
 * The DAQs and uploads the caller may see, kept current by the event stream: progress events move the
 * counters, a status event for one not on the page loads the lists again (as does the stream connecting,
 * see useEvents). Never polled.
 */
import type { LiveEvent } from '@photon-dm/client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useEvents } from '../api/use-events.ts';
import { useResource } from '../api/use-resource.ts';
import { useSignedIn } from '../session/session.tsx';
import { applyEvent, fromDaq, fromUpload, keyOf, type Transfer, type TransferEventType } from './transfer.ts';

const types: readonly TransferEventType[] = [
  'daq.status',
  'daq.progress',
  'upload.status',
  'upload.progress',
];

export function useLiveTransfers() {
  const { client } = useSignedIn();
  const lists = useResource(
    () => Promise.all([client.daqs.list({ limit: 50 }), client.uploads.list({ limit: 50 })]),
    [client],
  );
  const [transfers, setTransfers] = useState(new Map<string, Transfer>());
  const { reload } = lists;
  // What the page shows now, for the event handler (a state updater may run later than the handler).
  const shown = useRef(transfers);
  shown.current = transfers;

  useEffect(() => {
    if (!lists.data) return;
    const [daqs, uploads] = lists.data;
    const next = new Map<string, Transfer>();
    for (const daq of daqs.items) next.set(keyOf('daq', daq.id), fromDaq(daq));
    for (const upload of uploads.items) next.set(keyOf('upload', upload.id), fromUpload(upload));
    setTransfers(next);
  }, [lists.data]);

  const onEvent = useCallback(
    (event: LiveEvent<TransferEventType>) => {
      const kind = event.type.startsWith('daq.') ? 'daq' : 'upload';
      const key = keyOf(kind, event.data.subjectId ?? '');
      if (!shown.current.has(key)) {
        // A new DAQ or upload (or one older than the page's lists): a status change brings it in.
        if (event.type.endsWith('.status')) reload();
        return;
      }
      setTransfers((current) => {
        const transfer = current.get(key);
        return transfer ? new Map(current).set(key, applyEvent(transfer, event)) : current;
      });
    },
    [reload],
  );
  useEvents({ types }, onEvent, reload);

  return { transfers: [...transfers.values()], error: lists.error, loading: lists.loading, reload };
}
