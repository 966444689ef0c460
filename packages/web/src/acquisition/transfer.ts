/**
 * DAQs and uploads as one kind of row: something taking files into an experiment, with counters that move.
 *
 * Glossary:
 * - transfer: a DAQ or an upload, as this view shows it.
 * - sample: the counters at one moment (from a list or an event); two samples give a rate.
 */
import type { Daq, LiveEvent, Upload } from '@photon-dm/client';

export type TransferKind = 'daq' | 'upload';

/** The events that move a transfer's counters and status. */
export type TransferEventType = 'daq.status' | 'daq.progress' | 'upload.status' | 'upload.progress';

export interface Transfer {
  kind: TransferKind;
  id: number;
  experimentName: string;
  dataDirectory: string;
  destDirectory: string;
  status: string;
  /** Files seen (DAQ) or to take (upload). */
  nFiles: number;
  nProcessedFiles: number;
  nProcessingErrors: number;
  /** Bytes taken so far. */
  nBytes: number;
  filesPerSecond: number;
  bytesPerSecond: number;
  lastError: string | null;
  createdBy: string;
  startTime: string | null;
  endTime: string | null;
  /** When the counters were read (ms), for the next rate. */
  sampledAt: number;
}

export const keyOf = (kind: TransferKind, id: number | string) => `${kind}:${id}`;
export const isActive = (status: string) => status === 'pending' || status === 'running';

export function fromDaq(daq: Daq): Transfer {
  return {
    kind: 'daq',
    id: daq.id,
    experimentName: daq.experimentName,
    dataDirectory: daq.dataDirectory,
    destDirectory: daq.destDirectory,
    status: daq.status,
    nFiles: daq.nFiles,
    nProcessedFiles: daq.nProcessedFiles,
    nProcessingErrors: daq.nProcessingErrors,
    nBytes: daq.nBytes,
    filesPerSecond: daq.filesPerSecond,
    bytesPerSecond: daq.bytesPerSecond,
    lastError: daq.lastError,
    createdBy: daq.createdBy,
    startTime: daq.startTime,
    endTime: daq.endTime,
    sampledAt: Date.now(),
  };
}

export function fromUpload(upload: Upload): Transfer {
  const seconds = upload.runTime ?? 0;
  return {
    kind: 'upload',
    id: upload.id,
    experimentName: upload.experimentName,
    dataDirectory: upload.dataDirectory,
    destDirectory: upload.destDirectory,
    status: upload.status,
    nFiles: upload.nFiles,
    nProcessedFiles: upload.nProcessedFiles,
    nProcessingErrors: upload.nProcessingErrors,
    nBytes: upload.nProcessedBytes,
    filesPerSecond: seconds > 0 ? upload.nProcessedFiles / seconds : 0,
    bytesPerSecond: seconds > 0 ? upload.nProcessedBytes / seconds : 0,
    lastError: upload.lastError,
    createdBy: upload.createdBy,
    startTime: upload.startTime,
    endTime: upload.endTime,
    sampledAt: Date.now(),
  };
}

/**
 * The transfer after an event about it: its counters and status, and rates from the change since the last
 * sample (an ended transfer has no rate).
 */
export function applyEvent(transfer: Transfer, event: LiveEvent<TransferEventType>): Transfer {
  const payload = event.data.payload;
  const at = Date.parse(event.data.createdAt) || Date.now();
  const nProcessedFiles = payload.nProcessedFiles ?? transfer.nProcessedFiles;
  const nBytes =
    (transfer.kind === 'upload'
      ? 'nProcessedBytes' in payload
        ? payload.nProcessedBytes
        : undefined
      : payload.nBytes) ?? transfer.nBytes;
  const status = payload.status;
  const seconds = (at - transfer.sampledAt) / 1000;
  const moved = seconds > 0 && isActive(status);
  return {
    ...transfer,
    status,
    nFiles: payload.nFiles ?? transfer.nFiles,
    nProcessedFiles,
    nProcessingErrors: payload.nProcessingErrors ?? transfer.nProcessingErrors,
    nBytes,
    lastError: ('lastError' in payload ? payload.lastError : undefined) ?? transfer.lastError,
    filesPerSecond: moved
      ? (nProcessedFiles - transfer.nProcessedFiles) / seconds
      : isActive(status)
        ? transfer.filesPerSecond
        : 0,
    bytesPerSecond: moved
      ? (nBytes - transfer.nBytes) / seconds
      : isActive(status)
        ? transfer.bytesPerSecond
        : 0,
    endTime: isActive(status) ? transfer.endTime : (transfer.endTime ?? event.data.createdAt),
    sampledAt: moved ? at : transfer.sampledAt,
  };
}
