/**
 * One DAQ run by the agent: the same scan, settle and skip rules as the server's monitor
 * (daq/settle-tracker.ts), files sent over HTTP or copied directly, failures reported to the DAQ's record
 * with each lease renewal. What it took is kept in memory, seeded at claim from what the catalog holds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type AgentDaq, ApiError, type PhotonClient } from '@photon-dm/client';
import type { FastifyBaseLogger } from 'fastify';
import { SettleTracker } from '../daq/settle-tracker.ts';
import { compileSkipPatterns } from '../daq/skip-patterns.ts';
import { takeConcurrently, takesAtOnce } from '../daq/take-concurrently.ts';
import { NoSpaceError } from '../transfer/errors.ts';
import { listSourceFiles, type SourceFile } from '../uploads/source-files.ts';
import { copyDirectly } from './direct-sender.ts';
import { isInterruption, type SendContext, sendOverHttp } from './http-sender.ts';

export interface AgentMonitorOptions {
  client: PhotonClient;
  logger: FastifyBaseLogger;
  /** Where the server's storage root is mounted here, for direct copy; undefined sends over HTTP. */
  storageRoot?: string | undefined;
  scanIntervalMs: number;
}

/** The DAQ ended, was stopped or was taken over by another agent: let it go. */
class LeaseLost extends Error {}

/**
 * @example
 * await runAgentDaq({ client, logger, scanIntervalMs: 500 }, daq, owner, () => stopping);
 */
export async function runAgentDaq(
  options: AgentMonitorOptions,
  daq: AgentDaq,
  owner: string,
  isStopping: () => boolean,
): Promise<void> {
  const { client } = options;
  const log = options.logger.child({ daqId: daq.id, experiment: daq.experimentName });
  const tracker = new SettleTracker({
    settleMs: daq.settleSeconds * 1000,
    skip: compileSkipPatterns(daq.skipPatterns),
    newerThanMs: daq.newOnly ? Date.parse(daq.startTime) : undefined,
    destDirectory: daq.destDirectory,
  });
  for (const file of daq.taken) tracker.markTaken(file.path, file.size, file.mtime);
  const send: SendContext = { client, daqId: daq.id, owner, isStopping };
  const failures: { path: string; error: string }[] = [];
  let lastError: string | undefined;
  log.info({ dataDirectory: daq.dataDirectory, known: daq.taken.length }, 'DAQ monitoring');

  const take = (file: SourceFile, path: string) =>
    options.storageRoot === undefined
      ? sendOverHttp(send, file)
      : copyDirectly(send, daq, options.storageRoot, file, path);

  let renewedAt = Date.now();
  /** False once the server says the DAQ is no longer ours. */
  const renew = async (): Promise<boolean> => {
    renewedAt = Date.now();
    const reported = failures.splice(0);
    try {
      const { running } = await client.daqAgents.renew(daq.id, {
        owner,
        failures: reported,
        ...(lastError !== undefined && { lastError }),
      });
      lastError = undefined;
      return running;
    } catch (error) {
      failures.unshift(...reported);
      if (!isInterruption(error)) throw error;
      log.warn({ err: error }, 'cannot renew the lease; retrying');
      return true;
    }
  };

  const scan = async () => {
    let files: SourceFile[];
    try {
      files = await listSourceFiles(daq.dataDirectory);
    } catch (error) {
      lastError = `cannot read ${daq.dataDirectory}: ${error instanceof Error ? error.message : error}`;
      return;
    }
    await takeConcurrently(tracker.settled(files), takesAtOnce, async ({ file, path, version }) => {
      if (isStopping()) return false;
      // A scan that takes many large files outlasts the lease: renew it on the way.
      if (Date.now() - renewedAt > (daq.leaseSeconds * 1000) / 3 && !(await renew()))
        throw new LeaseLost('ended');
      try {
        await take(file, path);
        tracker.markTaken(path, file.size, file.mtimeMs);
      } catch (error) {
        if (isInterruption(error)) return false; // the server is away: the next scan offers the file again
        if (error instanceof ApiError && error.code === 'lease_lost') throw new LeaseLost(error.message);
        if (error instanceof NoSpaceError) {
          lastError = `storage is full, waiting for space: ${error.message}`;
          log.error({ err: error }, 'storage full; the DAQ resumes when space returns');
          return false;
        }
        tracker.markFailed(path, version);
        failures.push({ path, error: error instanceof Error ? error.message : String(error) });
        log.warn({ path, err: error }, 'file not taken');
      }
      return true;
    });
  };

  try {
    while (!isStopping()) {
      await scan();
      if (!(await renew())) {
        log.info('DAQ ended or taken over');
        return;
      }
      await sleep(options.scanIntervalMs);
    }
    await client.daqAgents.release(daq.id, owner).catch((error: unknown) => {
      log.warn({ err: error }, 'could not release the DAQ; its lease will expire');
    });
  } catch (error) {
    if (error instanceof LeaseLost) {
      log.info({ reason: error.message }, 'DAQ ended or taken over');
      return;
    }
    throw error;
  }
}
