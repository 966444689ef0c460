/** `dm setup`: what an operator installs for a server that does not run as root (docs/operations.md). */
import type { Command } from 'commander';
import { CliError, type Runtime } from '../context.ts';
import type { ServerModule } from './settings-options.ts';

/**
 * Without `server` only the names are registered, for `dm --help` (see serve.ts).
 *
 * @example
 * registerSetupCommands(program, runtime, server); // dm setup sudoers --service-account dmsvc
 */
export function registerSetupCommands(
  program: Command,
  runtime: Runtime,
  server: ServerModule | undefined,
): void {
  const setup = program.command('setup').description('host configuration for running without root');
  const sudoers = setup
    .command('sudoers')
    .description('print the sudo rules that let the service account run stages as the stage accounts')
    .option('--service-account <name>', 'the unix account dm serve runs as', 'dmsvc')
    .option('--stage-group <name>', 'the unix group of the accounts stages may run as', 'dm-stages');
  sudoers.action((options: { serviceAccount: string; stageGroup: string }) => {
    if (server === undefined) throw new CliError('the server package was not loaded');
    let rules: string;
    try {
      rules = server.sudoersRules(options);
    } catch (error) {
      throw new CliError((error as Error).message, 2);
    }
    runtime.stdout.write(
      `# Uses ${server.sudoersPaths.sudo} and ${server.sudoersPaths.shell}; set DM_STAGE_SWITCH=sudo.\n${rules}`,
    );
  });
}
