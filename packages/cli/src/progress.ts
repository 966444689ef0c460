import type { Upload } from '@photon-dm/client';

const units = ['B', 'kB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * One line of progress: a bar, files, bytes, rate and time left, redrawn in place with `\r`.
 *
 * @example
 * renderProgress(upload, 12_000) // '[#########...........]  45%  120/300 files  1.2 GB/2.5 GB  85.0 MB/s  ETA 0:15'
 */
export function renderProgress(upload: Upload, elapsedMs: number, width = 20): string {
  const fraction =
    upload.nBytes > 0 ? upload.nProcessedBytes / upload.nBytes : upload.percentageComplete / 100;
  const filled = Math.round(Math.min(1, fraction) * width);
  const rate = elapsedMs > 0 ? upload.nProcessedBytes / (elapsedMs / 1000) : 0;
  const remaining = rate > 0 ? (upload.nBytes - upload.nProcessedBytes) / rate : Number.NaN;
  const eta = Number.isFinite(remaining) ? `ETA ${formatDuration(remaining)}` : 'ETA -:--';
  return [
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`,
    `${String(Math.round(fraction * 100)).padStart(3)}%`,
    `${upload.nProcessedFiles}/${upload.nFiles} files`,
    `${formatBytes(upload.nProcessedBytes)}/${formatBytes(upload.nBytes)}`,
    `${formatBytes(rate)}/s`,
    eta,
    upload.nProcessingErrors > 0 ? `${upload.nProcessingErrors} errors` : '',
  ]
    .filter(Boolean)
    .join('  ');
}
