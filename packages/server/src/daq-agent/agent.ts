/**
 * The `daq-agent` role (`dm daq-agent`): on a beamline machine that is not the server, claims the DAQs
 * assigned to its name through the API and runs each until it ends, sending files over HTTP or copying
 * them into mounted storage. It keeps no state of its own: leases, errors and the catalog are the
 * server's, so a killed agent's successor continues where it stopped.
 */
import type { AgentDaq, PhotonClient } from '@photon-dm/client';
import type { FastifyBaseLogger } from 'fastify';
import { type ClaimLoop, startClaimLoop } from '../claims/claim-loop.ts';
import { runAgentDaq } from './agent-monitor.ts';
import { placeOfDaqDirectory } from './allowed-directories.ts';

export interface DaqAgentOptions {
  client: PhotonClient;
  /** The name DAQs are assigned to (`dm daq start --agent NAME`); the host name by default. */
  name: string;
  logger: FastifyBaseLogger;
  /**
   * The only directories its DAQs may read (real paths: `resolveAllowedDirectories`); a DAQ elsewhere is
   * refused, and fails on the server with the reason.
   */
  allowedDirectories: readonly string[];
  /** Where the server's storage root is mounted on this machine: direct copy instead of HTTP. */
  storageRoot?: string | undefined;
  /** How often to look for new DAQs when there is nothing to claim. */
  claimEveryMs?: number;
  /** Time between looks at hinted and settling files (100 ms, as the server's monitor). */
  tickMs?: number;
  /** Time between full rescans of a DAQ's directory (`DM_DAQ_RESCAN_SECONDS`, 15 s). */
  rescanIntervalMs?: number;
  /** Watch DAQ directories for hints (`DM_DAQ_WATCH`, on); off, only rescans find files. */
  watch?: boolean;
}

/**
 * @example
 * const allowedDirectories = await resolveAllowedDirectories(['/detector/8id']);
 * const agent = startDaqAgent({ client, name: hostname(), logger, allowedDirectories });
 * process.once('SIGTERM', () => agent.stop());
 */
export function startDaqAgent(options: DaqAgentOptions): ClaimLoop {
  const monitor = {
    client: options.client,
    logger: options.logger,
    storageRoot: options.storageRoot,
    tickMs: options.tickMs ?? 100,
    rescanIntervalMs: options.rescanIntervalMs ?? 15_000,
    watch: options.watch ?? true,
  };
  return startClaimLoop<AgentDaq>({
    name: 'DAQ agent',
    logger: options.logger,
    concurrency: Number.POSITIVE_INFINITY,
    pollMs: options.claimEveryMs ?? 1_000,
    claim: async (owner, running) => {
      const { daq } = await options.client.daqAgents.claim({ agent: options.name, owner });
      // Its lease expired while the server was away, and this process claimed it back: it already runs
      // here, and a second monitor would send the same files at the same time.
      if (daq === null || running.some((run) => run.id === daq.id)) return undefined;
      const where = await placeOfDaqDirectory(daq.dataDirectory, options.allowedDirectories);
      if ('refusal' in where) {
        options.logger.warn({ daqId: daq.id, dataDirectory: daq.dataDirectory }, where.refusal);
        await options.client.daqAgents.refuse(daq.id, { owner, reason: where.refusal });
        return undefined;
      }
      // The real path: a symbolic link changed later does not move the DAQ elsewhere.
      return { ...daq, dataDirectory: where.root };
    },
    run: (daq, { owner, stopping }) => runAgentDaq(monitor, daq, owner, () => stopping.aborted),
  });
}
