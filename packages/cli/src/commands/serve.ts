/** `dm serve`: the embedded default runs every role in one process; `--roles` splits them across processes. */
import type { Command } from 'commander';
import { CliError, type Runtime } from '../context.ts';
import {
  addSettingOptions,
  environmentOnlyHelp,
  type ServerModule,
  settingsFromOptions,
} from './settings-options.ts';

const description = 'run the Photon DM server until stopped: every role, or those --roles names';

/**
 * Without `server` (any command other than serve or db) only the name and description are registered, for
 * `dm --help`.
 *
 * @example
 * registerServeCommand(program, runtime, await import('@photon-dm/server')); // dm serve --port 0
 */
export function registerServeCommand(
  program: Command,
  runtime: Runtime,
  server: ServerModule | undefined,
): void {
  const serve = program.command('serve').description(description);
  if (server === undefined) {
    serve.allowUnknownOption().action(() => {
      throw new CliError('the server package was not loaded');
    });
    return;
  }
  const options = addSettingOptions(server, serve);
  serve.addHelpText('after', environmentOnlyHelp(server));

  serve.action(async (_options: unknown, command: Command) => {
    const settings = settingsFromOptions(server, options, command.opts(), runtime);
    const running = await server.startServer(settings);
    // Tests and supervisors parse these exact lines to learn the port (with --port 0 the OS picks it).
    runtime.stdout.write(
      running.url === undefined
        ? `Photon DM running ${running.roles.join(', ')} (no HTTP: the api role is off)\n`
        : `Photon DM listening on ${running.url}\n`,
    );
    if (running.generatedAdminPassword !== undefined) {
      const where = running.adminPasswordFile ? ` (also written to ${running.adminPasswordFile})` : '';
      runtime.stdout.write(
        `Created account "admin" with password ${running.generatedAdminPassword}${where}\n`,
      );
    }

    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      // A second signal means "now": the operator has given up on a clean stop.
      if (stopping) process.exit(130);
      stopping = true;
      runtime.stderr.write(`${signal}: stopping (send it again to stop at once)\n`);
      running.close().then(
        () => process.exit(0),
        (error: unknown) => {
          runtime.stderr.write(
            `error: could not stop cleanly: ${error instanceof Error ? error.message : error}\n`,
          );
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
