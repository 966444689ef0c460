/**
 * The `daq-agent` role (`dm daq-agent`): on a beamline machine that is not the server, claims the DAQs
 * assigned to its name through the API and runs each until it ends, sending files over HTTP or copying
 * them into mounted storage. It keeps no state of its own: leases, errors and the catalog are the
 * server's, so a killed agent's successor continues where it stopped.
 */
import type { PhotonClient } from '@photon-dm/client';
import type { FastifyBaseLogger } from 'fastify';
import { type ClaimLoop, startClaimLoop } from '../leases.ts';
import { runAgentDaq } from './agent-monitor.ts';

export interface DaqAgentOptions {
  client: PhotonClient;
  /** The name DAQs are assigned to (`dm daq start --agent NAME`); the host name by default. */
  name: string;
  logger: FastifyBaseLogger;
  /** Where the server's storage root is mounted on this machine: direct copy instead of HTTP. */
  storageRoot?: string | undefined;
  /** How often to look for new DAQs when there is nothing to claim. */
  claimEveryMs?: number;
  scanIntervalMs?: number;
}

/**
 * @example
 * const agent = startDaqAgent({ client, name: hostname(), logger });
 * process.once('SIGTERM', () => agent.stop());
 */
export function startDaqAgent(options: DaqAgentOptions): ClaimLoop {
  const monitor = {
    client: options.client,
    logger: options.logger,
    storageRoot: options.storageRoot,
    scanIntervalMs: options.scanIntervalMs ?? 500,
  };
  const running = new Set<number>();
  return startClaimLoop(options, {
    name: 'DAQ agent',
    concurrent: true,
    idleMs: options.claimEveryMs ?? 1_000,
    claim: async (owner) => {
      const { daq } = await options.client.daqAgents.claim({ agent: options.name, owner });
      // Its lease expired while the server was away, and this process claimed it back: it already runs
      // here, and a second monitor would send the same files at the same time.
      if (daq === null || running.has(daq.id)) return undefined;
      running.add(daq.id);
      return daq;
    },
    run: (daq, owner, isStopping) =>
      runAgentDaq(monitor, daq, owner, isStopping).finally(() => running.delete(daq.id)),
  });
}
