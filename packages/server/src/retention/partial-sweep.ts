/**
 * The age-based sweep of what interrupted transfers leave in experiment trees: temp files of verified
 * copies (`.<name>.dm-partial-<random>`) and staging files of DAQs that no longer run. The claim-time
 * cleanup (transfer/partial-cleanup.ts) only runs when a transfer starts into an experiment with no other
 * transfer running; an experiment that never gets another DAQ or upload, or always has one running, would
 * keep its leftovers forever. This sweep catches those.
 *
 * Why age is safe: a live copy writes its temp file continuously, so its mtime stays fresh; the longest it
 * goes without writing is the read-back that verifies it (a 100 GB file at 200 MB/s: about 8 minutes) or a
 * source read stalled by the network. The default age (60 minutes, `DM_PARTIAL_FILE_MAX_AGE_MINUTES`) is
 * well beyond both. Even if a copy did stall longer, losing its temp file only makes that copy fail (its
 * rename finds nothing) and be tried again: the source is untouched and nothing half-written is cataloged.
 *
 * Several api processes may sweep at once (the storage reconciler has no single-host rule either): every
 * removal tolerates the file being gone already, and only the process whose unlink succeeded counts it.
 */
import type { Dirent } from 'node:fs';
import { lstat, opendir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Counter, type Registry } from 'prom-client';
import type { ServiceContext } from '../context.ts';
import { isCode } from '../errors/error-code.ts';
import { removeStagingOfStoppedDaqs } from '../staging/files.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import { experimentsInStorageState, type StoredExperiment } from '../storage/lookup.ts';
import { isPartialName } from '../storage/partial-names.ts';

export interface PartialSweepReport {
  /** Temp files of verified copies removed. */
  partialFiles: number;
  /** Staging files of DAQs that no longer run removed. */
  stagingFiles: number;
  /** Experiments whose tree was swept. */
  experiments: number;
  /** Experiments whose tree could not be walked (unreadable directory, storage unavailable). */
  failed: { name: string; error: string }[];
  /** True when the pass was stopped (the app closing) before the last experiment. */
  stopped: boolean;
}

/** Paths named in the warning of one experiment (its counts are always complete). */
const loggedPaths = 100;

/**
 * Sweeps every experiment whose storage is `ready`, one at a time, yielding to the event loop between
 * them: temp files whose mtime is older than `DM_PARTIAL_FILE_MAX_AGE_MINUTES` before `context.now()` in its
 * `data` and `system` directories, and the staging files of its DAQs that ended. Only experiments'
 * directories are walked (never the whole storage root), one directory open at a time, with a stat only for
 * names that look like temp files. Each experiment with removals gets a warning naming what went.
 *
 * @example
 * const report = await sweepPartialFiles(context);
 * // { partialFiles: 3, stagingFiles: 0, experiments: 120, failed: [], stopped: false }
 */
export async function sweepPartialFiles(
  context: ServiceContext,
  options: { signal?: AbortSignal } = {},
): Promise<PartialSweepReport> {
  const cutoffMs = Date.parse(context.now()) - context.settings.partialFileMaxAgeMinutes * 60_000;
  const report: PartialSweepReport = {
    partialFiles: 0,
    stagingFiles: 0,
    experiments: 0,
    failed: [],
    stopped: false,
  };
  for (const record of await experimentsInStorageState(context.db, ['ready'])) {
    if (options.signal?.aborted) {
      report.stopped = true;
      break;
    }
    await sweepExperiment(context, record, cutoffMs, report);
    // Listings served from the page cache can resolve back to back; requests and timers get their turn here.
    await yieldToEventLoop();
  }
  if (report.failed.length > 0)
    context.logger.warn({ failed: report.failed }, 'could not sweep the storage of some experiments');
  return report;
}

async function sweepExperiment(
  context: ServiceContext,
  record: StoredExperiment,
  cutoffMs: number,
  report: PartialSweepReport,
): Promise<void> {
  const paths = pathsOf(context, record);
  const partialFiles: string[] = [];
  let stagingFiles: string[] = [];
  try {
    for (const root of [paths.dataDirectory, paths.systemDirectory])
      await sweepTree(root, cutoffMs, partialFiles);
    stagingFiles = await removeStagingOfStoppedDaqs(context, record);
    report.experiments += 1;
  } catch (error) {
    report.failed.push({ name: record.name, error: error instanceof Error ? error.message : String(error) });
  } finally {
    // Logged even when the walk failed half way: what was removed before the failure is gone all the same.
    report.partialFiles += partialFiles.length;
    report.stagingFiles += stagingFiles.length;
    if (partialFiles.length + stagingFiles.length > 0) {
      context.logger.warn(
        {
          experiment: record.name,
          partialFiles: partialFiles.length,
          stagingFiles: stagingFiles.length,
          removed: [...partialFiles, ...stagingFiles].slice(0, loggedPaths),
          maxAgeMinutes: context.settings.partialFileMaxAgeMinutes,
        },
        'removed files left by interrupted transfers',
      );
    }
  }
}

/**
 * Depth-first with an explicit stack (no recursion limit on deep trees) and `opendir`, which streams entries
 * instead of reading a directory of a million files into one array.
 */
async function sweepTree(root: string, cutoffMs: number, removed: string[]): Promise<void> {
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
      else if (kind === 'file' && isPartialName(entry.name) && (await removeIfOlder(path, cutoffMs)))
        removed.push(path);
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

/**
 * A temp file's name is random and opened with O_EXCL, so an old one is never written again: age is final.
 * Gone meanwhile (another process sweeping, or its copy finishing): not counted here.
 */
async function removeIfOlder(path: string, cutoffMs: number): Promise<boolean> {
  const stats = await lstat(path).catch(() => undefined);
  if (stats === undefined || !stats.isFile() || stats.mtimeMs >= cutoffMs) return false;
  return unlink(path).then(
    () => true,
    (error: unknown) => {
      if (isCode(error, 'ENOENT')) return false;
      throw error;
    },
  );
}

export interface PartialSweep {
  /** Runs a pass now, or joins the one running, and resolves with its report (tests, the benchmark). */
  runNow(): Promise<PartialSweepReport>;
  /** Stops the timers, cuts a running pass short after its current experiment, and waits for it. */
  stop(): Promise<void>;
}

export interface PartialSweepOptions {
  /** The first pass waits this long (default a minute), so a start never waits for a large tree. */
  firstPassDelayMs?: number;
  /** False in a process without the retention role: sweeps only when `runNow()` is called. */
  scheduled?: boolean;
}

/**
 * Sweeps a minute after start, then every `DM_PARTIAL_SWEEP_MINUTES`, counting removals in
 * `dm_partial_sweep_removed_files_total{kind="partial"|"staging"}` of the app's metrics registry. Owned by
 * createApp (which owns that registry and waits for the pass on close), apart from the per-minute storage
 * reconciler: walking every tree every minute would be heavy on a big facility.
 *
 * @example
 * const partialSweep = startPartialSweep(context, registerMetrics(http));
 * await partialSweep.stop();
 */
export function startPartialSweep(
  context: ServiceContext,
  registry: Registry,
  options: PartialSweepOptions = {},
): PartialSweep {
  const removed = new Counter({
    name: 'dm_partial_sweep_removed_files_total',
    help: 'Files left by interrupted transfers removed by the age-based sweep, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  // Both series exist from the start, so a dashboard shows 0 rather than no data.
  for (const kind of ['partial', 'staging'] as const) removed.inc({ kind }, 0);
  const stopping = new AbortController();
  let running: Promise<PartialSweepReport> | undefined;
  const runNow = () => {
    running ??= sweepPartialFiles(context, { signal: stopping.signal })
      .then((report) => {
        removed.inc({ kind: 'partial' }, report.partialFiles);
        removed.inc({ kind: 'staging' }, report.stagingFiles);
        return report;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const runLogged = () =>
    void runNow().catch((error: unknown) =>
      context.logger.error({ err: error }, 'sweeping files left by interrupted transfers failed'),
    );
  let timer: NodeJS.Timeout | undefined;
  const first =
    options.scheduled === false
      ? undefined
      : setTimeout(() => {
          runLogged();
          timer = setInterval(runLogged, context.settings.partialSweepMinutes * 60_000);
          timer.unref();
        }, options.firstPassDelayMs ?? 60_000).unref();
  return {
    runNow,
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      stopping.abort();
      await running?.catch(() => {});
    },
  };
}
