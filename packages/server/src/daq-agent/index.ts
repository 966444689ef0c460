/** The DAQ agent role, loaded by `dm daq-agent` without the rest of the server (no database, no HTTP). */
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';

export { type DaqAgentOptions, startDaqAgent } from './agent.ts';
export { type AgentDiscoverySettings, agentDiscoverySettings, SettingsError } from './agent-settings.ts';
export { resolveAllowedDirectories } from './allowed-directories.ts';

/** The agent's structured log, on stdout as the server's. */
export function createAgentLogger(level: string): FastifyBaseLogger {
  return pino({ level });
}
