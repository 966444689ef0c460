/**
 * One DAQ run by the agent, found and taken as the server's monitor does (daq/monitor.ts): watch hints and
 * files still settling looked at every tick, full rescans now and then as the safety net
 * (finder/discovery.ts), settled files taken by a pool apart from the finding (take/take-pool.ts). Files are
 * sent over HTTP or copied directly; failures are reported to the DAQ's record with each lease renewal. What
 * it took is kept in memory, seeded at claim from what the catalog holds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type AgentDaq, ApiError, type PhotonClient } from '@photon-dm/client';
import type { FastifyBaseLogger } from 'fastify';
import { discoveryFeeding } from '../finder/discovery.ts';
import { type SettledFile, SettleTracker } from '../finder/settle-tracker.ts';
import { compileSkipPatterns } from '../finder/skip-patterns.ts';
import type { SourceFile } from '../finder/source-files.ts';
import { batchFileBytes, filesPerBatch } from '../take/batches.ts';
import { largeTakesAtOnce, type TakeOutcome, TakePool, takesAtOnce } from '../take/take-pool.ts';
import { NoSpaceError } from '../transfer/errors.ts';
import { largeFileBytes } from '../transfer/verified-copy.ts';
import { copyBatchDirectly, copyDirectly } from './direct-sender.ts';
import { sendBatchOverHttp } from './http-batch-sender.ts';
import { isInterruption, type SendContext, sendOverHttp } from './http-sender.ts';

export interface AgentMonitorOptions {
  client: PhotonClient;
  logger: FastifyBaseLogger;
  /** Where the server's storage root is mounted here, for direct copy; undefined sends over HTTP. */
  storageRoot?: string | undefined;
  /** Time between looks at hinted and settling files: a file is taken within settle time + about this. */
  tickMs: number;
  /** Time between full rescans of the directory (the safety net for hints lost or never sent). */
  rescanIntervalMs: number;
  /** Watch the directory for hints (inotify); off, only rescans find files. */
  watch: boolean;
}

/**
 * The lease is renewed (and failures reported) this often, or every third of the lease if that is shorter;
 * a stop by a person is seen this soon.
 */
const renewEveryMs = 1_000;
/** A take that found storage full or the server away is tried again after this long. */
const retryMs = 1_000;

/** What a DAQ's takes share with its loop. */
interface AgentDaqState {
  failures: { path: string; error: string }[];
  lastError: string | undefined;
  /** The server said the DAQ is no longer ours (ended, stopped, taken over): take nothing more. */
  leaseLost: boolean;
  /** The server takes batches of small files (false once a server too old for them said 404). */
  batches: boolean;
}

/**
 * @example
 * await runAgentDaq({ client, logger, tickMs: 100, rescanIntervalMs: 15_000, watch: true }, daq, owner, () => stopping);
 */
export async function runAgentDaq(
  options: AgentMonitorOptions,
  daq: AgentDaq,
  owner: string,
  isStopping: () => boolean,
): Promise<void> {
  const { client } = options;
  const log = options.logger.child({ daqId: daq.id, experiment: daq.experimentName });
  const tracker = settleTrackerFor(daq);
  const state: AgentDaqState = { failures: [], lastError: undefined, leaseLost: false, batches: true };
  log.info(
    {
      dataDirectory: daq.dataDirectory,
      known: daq.taken.length,
      watch: options.watch,
      rescanIntervalMs: options.rescanIntervalMs,
    },
    'DAQ monitoring',
  );
  const send: SendContext = { client, daqId: daq.id, owner, isStopping };
  const take = agentTake(options, daq, send, tracker, state, log);
  const pool = new TakePool<SourceFile>({
    limit: takesAtOnce,
    largeBytes: largeFileBytes,
    largeLimit: largeTakesAtOnce(),
    retryMs,
    take,
    // Small files found together go in batches: over HTTP, or copied and then cataloged together.
    takeBatch: agentTakeBatch(send, take, batchSender(options, daq, send), tracker, state, log),
    batchBytes: batchFileBytes,
    maxBatch: filesPerBatch,
  });
  const finder = discoveryFeeding(pool, {
    root: daq.dataDirectory,
    tracker,
    watch: options.watch,
    logger: log,
    onUnreadable: (message) => {
      state.lastError = message;
    },
  });
  try {
    const renew = leaseRenewal(client, daq.id, owner, state, log);
    if (!(await findUntilEnded(options, daq, finder.find, renew, state, isStopping))) {
      log.info('DAQ ended or taken over');
      return;
    }
    // Takes in flight finish (or give up, as the agent is stopping) before the lease is let go.
    await pool.close();
    await client.daqAgents.release(daq.id, owner).catch((error: unknown) => {
      log.warn({ err: error }, 'could not release the DAQ; its lease will expire');
    });
  } finally {
    finder.close();
    await pool.close();
  }
}

/** The DAQ's rules, knowing what the catalog already holds from it. */
function settleTrackerFor(daq: AgentDaq): SettleTracker {
  const tracker = new SettleTracker({
    settleMs: daq.settleSeconds * 1000,
    skip: compileSkipPatterns(daq.skipPatterns),
    newerThanMs: daq.newOnly ? Date.parse(daq.startTime) : undefined,
    destDirectory: daq.destDirectory,
  });
  for (const file of daq.taken) tracker.markTaken(file.path, file.size, file.mtime);
  return tracker;
}

/**
 * Looks for files every tick (rescanning now and then) and renews the lease, until the agent stops (true)
 * or the lease is lost (false). The lease is renewed here, never from a take: the takes run apart from
 * this loop, and one large take outlasts a lease.
 */
async function findUntilEnded(
  options: AgentMonitorOptions,
  daq: AgentDaq,
  find: (rescan: boolean) => Promise<void>,
  renew: () => Promise<boolean>,
  state: AgentDaqState,
  isStopping: () => boolean,
): Promise<boolean> {
  const renewalMs = Math.min(renewEveryMs, (daq.leaseSeconds * 1000) / 3);
  let nextRescan = 0;
  // Pacing of this loop's own ticks: a monotonic clock (the agent has no injected one; the server judges
  // the lease by its own).
  let renewedAt = performance.now();
  while (!isStopping()) {
    const rescan = performance.now() >= nextRescan;
    if (rescan) nextRescan = performance.now() + options.rescanIntervalMs;
    await find(rescan);
    if (!state.leaseLost && performance.now() - renewedAt >= renewalMs) {
      renewedAt = performance.now();
      state.leaseLost = !(await renew());
    }
    if (state.leaseLost) return false;
    await sleep(options.tickMs);
  }
  return true;
}

/** The pool's take: one file sent or copied, its outcome recorded in the tracker and the shared state. */
function agentTake(
  options: AgentMonitorOptions,
  daq: AgentDaq,
  send: SendContext,
  tracker: SettleTracker,
  state: AgentDaqState,
  log: FastifyBaseLogger,
): (settled: SettledFile<SourceFile>) => Promise<TakeOutcome> {
  return async (settled) => {
    const { file, path } = settled;
    if (send.isStopping() || state.leaseLost) return 'done';
    try {
      await (options.storageRoot === undefined
        ? sendOverHttp(send, file)
        : copyDirectly(send, daq, options.storageRoot, file, path));
      tracker.markTaken(path, file.size, file.mtimeMs);
    } catch (error) {
      return notTaken(settled, error, tracker, state, log);
    }
    return 'done';
  };
}

/**
 * The pool's batch of small files (over HTTP, http-batch-sender.ts; or direct copies cataloged together),
 * each file's outcome its own. A server too old for batches gets the files one at a time from then on.
 */
function agentTakeBatch(
  send: SendContext,
  take: (settled: SettledFile<SourceFile>) => Promise<TakeOutcome>,
  sendBatch: (batch: SettledFile<SourceFile>[]) => Promise<PromiseSettledResult<unknown>[]>,
  tracker: SettleTracker,
  state: AgentDaqState,
  log: FastifyBaseLogger,
): (batch: SettledFile<SourceFile>[]) => Promise<TakeOutcome[]> {
  const oneByOne = async (batch: SettledFile<SourceFile>[]) => {
    const outcomes: TakeOutcome[] = [];
    for (const settled of batch) outcomes.push(await take(settled));
    return outcomes;
  };
  return async (batch) => {
    if (send.isStopping() || state.leaseLost) return batch.map(() => 'done');
    if (!state.batches) return oneByOne(batch);
    let results: PromiseSettledResult<unknown>[];
    try {
      results = await sendBatch(batch);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'route_not_found') {
        log.info('the server takes no batches (older than this agent): sending files one at a time');
        state.batches = false;
        return oneByOne(batch);
      }
      return batch.map((settled) => notTaken(settled, error, tracker, state, log));
    }
    return batch.map((settled, index) => {
      const result = results[index] as PromiseSettledResult<unknown>;
      if (result.status === 'rejected') return notTaken(settled, result.reason, tracker, state, log);
      tracker.markTaken(settled.path, settled.file.size, settled.file.mtimeMs);
      return 'done';
    });
  };
}

/** How a batch of small files is sent: over HTTP, or copied into mounted storage and cataloged together. */
function batchSender(options: AgentMonitorOptions, daq: AgentDaq, send: SendContext) {
  const { storageRoot } = options;
  return (batch: SettledFile<SourceFile>[]): Promise<PromiseSettledResult<unknown>[]> => {
    const files = batch.map((settled) => settled.file);
    if (storageRoot === undefined) return sendBatchOverHttp(send, files);
    return copyBatchDirectly(
      send,
      daq,
      storageRoot,
      files,
      batch.map((settled) => settled.path),
    );
  };
}

/** What a file that was not taken means for the queue, the tracker and the DAQ's reported errors. */
function notTaken(
  { path, version }: SettledFile<SourceFile>,
  error: unknown,
  tracker: SettleTracker,
  state: AgentDaqState,
  log: FastifyBaseLogger,
): TakeOutcome {
  // The server stayed away longer than one file rides out: the file waits at the head of the queue.
  if (isInterruption(error)) return 'retry-later';
  if (error instanceof ApiError && error.code === 'lease_lost') {
    state.leaseLost = true;
    return 'done';
  }
  // The storage is full: here (direct copy) or on the server (HTTP, 507 storage_full).
  if (error instanceof NoSpaceError || (error instanceof ApiError && error.code === 'storage_full')) {
    // Not this file's fault: it waits at the head of the queue until space returns.
    state.lastError = `storage is full, waiting for space: ${error.message}`;
    log.error({ err: error }, 'storage full; the DAQ resumes when space returns');
    return 'retry-later';
  }
  tracker.markFailed(path, version);
  state.failures.push({ path, error: error instanceof Error ? error.message : String(error) });
  log.warn({ path, err: error }, 'file not taken');
  return 'done';
}

/** Renews the lease, reporting the failures and last error since the last renewal; false once it is lost. */
function leaseRenewal(
  client: PhotonClient,
  daqId: number,
  owner: string,
  state: AgentDaqState,
  log: FastifyBaseLogger,
): () => Promise<boolean> {
  return async () => {
    const reported = state.failures.splice(0);
    const lastError = state.lastError;
    try {
      const { running } = await client.daqAgents.renew(daqId, {
        owner,
        failures: reported,
        ...(lastError !== undefined && { lastError }),
      });
      // A take may have set a newer one while the renewal was on its way: that one is reported next time.
      if (state.lastError === lastError) state.lastError = undefined;
      return running;
    } catch (error) {
      state.failures.unshift(...reported);
      if (!isInterruption(error)) throw error;
      log.warn({ err: error }, 'cannot renew the lease; retrying');
      return true;
    }
  };
}
