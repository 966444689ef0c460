/**
 * The DAQ settings an agent shares with `dm serve` (`DM_DAQ_RESCAN_SECONDS`, `DM_DAQ_WATCH` and their
 * flags), read by the server's own parser so that both accept, refuse and default alike. Only these are
 * read: the agent has no database, data directory or config file of its own.
 */
import { loadSettings, SettingsError } from '../settings/settings.ts';

export { SettingsError };

export interface AgentDiscoverySettings {
  /** Time between full rescans of a DAQ's directory. */
  rescanIntervalMs: number;
  /** Watch DAQ directories for hints (inotify). */
  watch: boolean;
}

/**
 * Throws a SettingsError listing every problem at once, as `dm serve` does.
 *
 * @example
 * agentDiscoverySettings({ daqWatch: 'no' }, { DM_DAQ_RESCAN_SECONDS: '2' }) // { rescanIntervalMs: 2000, watch: false }
 */
export function agentDiscoverySettings(
  flags: { daqRescanSeconds?: string | undefined; daqWatch?: string | undefined },
  env: NodeJS.ProcessEnv,
): AgentDiscoverySettings {
  const settings = loadSettings({
    flags: { daqRescanSeconds: flags.daqRescanSeconds, daqWatch: flags.daqWatch },
    env: { DM_DAQ_RESCAN_SECONDS: env.DM_DAQ_RESCAN_SECONDS, DM_DAQ_WATCH: env.DM_DAQ_WATCH },
  });
  return { rescanIntervalMs: settings.daqRescanSeconds * 1000, watch: settings.daqWatch };
}
