/** `dm daq-agent`: the daq-agent role, run on a beamline machine that is not the server. */
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import {
  addClientOptions,
  CliError,
  type ClientOptions,
  createContext,
  type Runtime,
  UsageError,
} from '../context.ts';

interface AgentOptions extends ClientOptions {
  name: string;
  allowDirectory: string[];
  storageRoot?: string;
  daqRescanSeconds?: string;
  daqWatch?: string;
  logLevel: string;
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * @example
 * registerDaqAgentCommand(program, runtime); // dm daq-agent --server http://dm:8080 --name bl8-daq
 */
export function registerDaqAgentCommand(program: Command, runtime: Runtime): void {
  addClientOptions(
    program
      .command('daq-agent')
      .description(
        'run the DAQs assigned to this machine (dm daq start --agent NAME) until SIGINT or SIGTERM; ' +
          'needs a token of station staff (DM_TOKEN or dm login)',
      )
      .addOption(
        new Option('--name <name>', 'the agent name DAQs are assigned to [env DM_AGENT_NAME]')
          .env('DM_AGENT_NAME')
          .default(hostname()),
      )
      .option(
        '--allow-directory <directory>',
        'a directory (and what is below it) the DAQs of this agent may read; repeat for more; required ' +
          '[env DM_AGENT_ALLOWED_DIRECTORIES, colon-separated]',
        (value: string, previous: string[]) => [...previous, value],
        [],
      )
      .addOption(
        new Option(
          '--storage-root <directory>',
          "where the server's storage root is mounted on this machine: copy files there directly instead of " +
            'sending them over HTTP [env DM_AGENT_STORAGE_ROOT]',
        ).env('DM_AGENT_STORAGE_ROOT'),
      )
      // Named and read as `dm serve` reads them (the server's parser checks them in the action), so an
      // agent finds files with the same latency and cost as the server.
      .addOption(
        new Option(
          '--daq-rescan-seconds <number>',
          'seconds between full rescans of a DAQ directory (the safety net for lost watch events; 0.1 ' +
            'allowed) [env DM_DAQ_RESCAN_SECONDS, default 15]',
        ),
      )
      .addOption(
        new Option(
          '--daq-watch <yes|no>',
          'watch DAQ directories (inotify) so new files are seen at once; no: rescans only, e.g. on NFS ' +
            '[env DM_DAQ_WATCH, default yes]',
        ),
      )
      .addOption(
        new Option('--log-level <level>', 'what the agent logs [env DM_LOG_LEVEL]')
          .env('DM_LOG_LEVEL')
          .choices(logLevels)
          .default('info'),
      ),
  ).action(async (options: AgentOptions) => {
    const context = createContext(runtime, options);
    const storageRoot = options.storageRoot === undefined ? undefined : resolve(options.storageRoot);
    if (storageRoot !== undefined && !(await stat(storageRoot).catch(() => undefined))?.isDirectory())
      throw new UsageError(`--storage-root ${storageRoot} is not a directory`);
    const agentModule = await import('@photon-dm/server/daq-agent');
    const { createAgentLogger, startDaqAgent } = agentModule;
    const allowedDirectories = await allowedDirectoriesOf(agentModule, options, runtime, storageRoot);
    const discovery = discoverySettings(agentModule, options, runtime);
    // Fail at once on a bad token or an unreachable server, rather than log it every second.
    const me = await context.client.whoami();
    const agent = startDaqAgent({
      client: context.client,
      name: options.name,
      logger: createAgentLogger(options.logLevel),
      allowedDirectories,
      storageRoot,
      ...discovery,
    });
    const mode = storageRoot === undefined ? 'over HTTP' : `by direct copy into ${storageRoot}`;
    context.emit(
      {
        agent: options.name,
        server: context.server,
        user: me.username,
        storageRoot: storageRoot ?? null,
        allowedDirectories,
      },
      // Tests and supervisors wait for this line.
      () => `DAQ agent ${options.name} working for ${context.server} as ${me.username}, sending ${mode}`,
    );
    await new Promise<void>((done) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        // A second signal means "now": the leases then expire instead of being released.
        if (stopping) process.exit(130);
        stopping = true;
        runtime.stderr.write(`${signal}: stopping (send it again to stop at once)\n`);
        void agent.stop().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    // Idle keep-alive connections would hold the process for seconds more.
    process.exit(0);
  });
}

type AgentModule = typeof import('@photon-dm/server/daq-agent');

/** The flags, else DM_* variables, as `dm serve` reads them; bad values are a usage error (exit 2). */
function discoverySettings(agentModule: AgentModule, options: AgentOptions, runtime: Runtime) {
  try {
    return agentModule.agentDiscoverySettings(
      { daqRescanSeconds: options.daqRescanSeconds, daqWatch: options.daqWatch },
      runtime.env,
    );
  } catch (error) {
    if (error instanceof agentModule.SettingsError) throw new CliError(error.message, 2);
    throw error;
  }
}

/**
 * `--allow-directory` (else DM_AGENT_ALLOWED_DIRECTORIES), as real paths. An agent reads only what its own
 * configuration allows, so none at all is a usage error (exit 2), as is a directory that does not exist.
 */
async function allowedDirectoriesOf(
  agentModule: AgentModule,
  options: AgentOptions,
  runtime: Runtime,
  storageRoot: string | undefined,
): Promise<string[]> {
  const given =
    options.allowDirectory.length > 0
      ? options.allowDirectory
      : (runtime.env.DM_AGENT_ALLOWED_DIRECTORIES ?? '').split(':').filter((directory) => directory !== '');
  if (given.length === 0) {
    throw new UsageError(
      'name the directories the DAQs of this agent may read: --allow-directory DIR (repeatable) or ' +
        'DM_AGENT_ALLOWED_DIRECTORIES=DIR:DIR',
    );
  }
  try {
    return await agentModule.resolveAllowedDirectories(
      given.map((directory) => resolve(directory)),
      storageRoot,
    );
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
