/**
 * The age-based sweep of temp files (`.<name>.dm-partial-<random>`) that interrupted copies left in
 * experiment trees. The claim-time cleanup (transfer/partial-cleanup.ts) only runs when a transfer starts
 * into an experiment with no other transfer running; an experiment that never gets another DAQ or upload, or
 * always has one running, would keep its leftovers forever. This sweep catches those.
 *
 * Why age is safe: a live copy writes its temp file continuously, so its mtime stays fresh; the longest it
 * goes without writing is the read-back that verifies it (a 100 GB file at 200 MB/s: about 8 minutes) or a
 * source read stalled by the network. The default age (60 minutes, `DM_PARTIAL_FILE_MAX_AGE_MINUTES`) is
 * well beyond both. Even if a copy did stall longer, losing its temp file only makes that copy fail (its
 * rename finds nothing) and be tried again: the source is untouched and nothing half-written is cataloged.
 */
import type { Dirent } from 'node:fs';
import { lstat, opendir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceContext } from '../context.ts';
import { experimentsInStorageState } from '../experiments/store.ts';
import { isPartialName } from '../transfer/verified-copy.ts';
import { pathsOf } from './lifecycle.ts';

export interface PartialSweepReport {
  /** How many temp files were removed. */
  removed: number;
  /** Up to `sampleSize` of their paths, for the log. */
  sample: string[];
  /** Experiments whose tree could not be walked (unreadable directory, storage unavailable). */
  failed: { name: string; error: string }[];
}

const sampleSize = 20;

/**
 * Removes temp files older than the configured age from the `data` and `system` directories of every
 * experiment, and logs how many. Only experiments' directories are walked (never the whole storage root), one
 * directory open at a time, with a stat only for names that look like temp files.
 *
 * @example
 * const report = await sweepPartialFiles(context);
 * // { removed: 3, sample: ['/gdata/dm/8-ID-I/run-7/data/.f1.h5.dm-partial-0a1b2c3d4e5f', …], failed: [] }
 */
export async function sweepPartialFiles(
  context: ServiceContext,
  nowMs: number = Date.now(),
): Promise<PartialSweepReport> {
  const cutoffMs = nowMs - context.settings.partialFileMaxAgeMinutes * 60_000;
  const report: PartialSweepReport = { removed: 0, sample: [], failed: [] };
  for (const record of await experimentsInStorageState(context.db, ['ready', 'deleting'])) {
    const paths = pathsOf(context, record);
    try {
      for (const root of [paths.dataDirectory, paths.systemDirectory]) {
        await sweepTree(root, cutoffMs, report);
      }
    } catch (error) {
      report.failed.push({
        name: record.name,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  if (report.removed > 0 || report.failed.length > 0) {
    context.logger.warn(
      { ...report, maxAgeMinutes: context.settings.partialFileMaxAgeMinutes },
      'swept temp files left by interrupted copies',
    );
  }
  return report;
}

/**
 * Depth-first with an explicit stack (no recursion limit on deep trees) and `opendir`, which streams entries
 * instead of reading a directory of a million files into one array.
 */
async function sweepTree(root: string, cutoffMs: number, report: PartialSweepReport): Promise<void> {
  const pending = [root];
  for (let directory = pending.pop(); directory !== undefined; directory = pending.pop()) {
    let handle: Awaited<ReturnType<typeof opendir>>;
    try {
      handle = await opendir(directory, { bufferSize: 256 });
    } catch (error) {
      // Gone meanwhile (an experiment deleted, a directory moved): nothing to sweep there.
      if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) continue;
      throw error;
    }
    for await (const entry of handle) {
      const path = join(directory, entry.name);
      const kind = await kindOf(entry, path);
      if (kind === 'directory') pending.push(path);
      else if (kind === 'file' && isPartialName(entry.name) && (await removeIfOlder(path, cutoffMs))) {
        report.removed += 1;
        if (report.sample.length < sampleSize) report.sample.push(path);
      }
    }
  }
}

/**
 * The entry's type without a stat where the directory listing tells it. Dirents never follow symlinks, so the
 * walk cannot leave the tree; some filesystems (older XFS, some NFS servers) give no type, then `lstat` does.
 */
async function kindOf(entry: Dirent, path: string): Promise<'directory' | 'file' | 'other'> {
  if (entry.isDirectory()) return 'directory';
  if (entry.isFile()) return 'file';
  const known =
    entry.isSymbolicLink() ||
    entry.isFIFO() ||
    entry.isSocket() ||
    entry.isBlockDevice() ||
    entry.isCharacterDevice();
  if (known) return 'other';
  const stats = await lstat(path).catch(() => undefined);
  if (stats?.isDirectory()) return 'directory';
  return stats?.isFile() ? 'file' : 'other';
}

/** A temp file's name is random and opened with O_EXCL, so an old one is never written again: age is final. */
async function removeIfOlder(path: string, cutoffMs: number): Promise<boolean> {
  const stats = await lstat(path).catch(() => undefined);
  if (stats === undefined || stats.mtimeMs >= cutoffMs) return false;
  await rm(path, { force: true });
  return true;
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
