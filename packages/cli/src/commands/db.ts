/** `dm db`: database administration. */
import type { Command } from 'commander';
import { CliError, type Runtime } from '../context.ts';
import { formatJson } from '../output.ts';
import { addSettingOptions, type ServerModule, settingsFromOptions } from './settings-options.ts';

/**
 * Without `server` only the names are registered, for `dm --help` (see serve.ts).
 *
 * @example
 * registerDbCommands(program, runtime, await import('@photon-dm/server')); // dm db migrate
 */
export function registerDbCommands(
  program: Command,
  runtime: Runtime,
  server: ServerModule | undefined,
): void {
  const db = program.command('db').description('database administration');
  const migrate = db
    .command('migrate')
    .description('apply pending database migrations (dm serve also does this at start)')
    .option('--json', 'print {"applied": [...]} as JSON');
  if (server === undefined) {
    migrate.allowUnknownOption().action(() => {
      throw new CliError('the server package was not loaded');
    });
    return;
  }
  const options = addSettingOptions(server, migrate, ['dataDir', 'databaseUrl']);

  migrate.action(async (_options: unknown, command: Command) => {
    const opts = command.opts();
    const settings = settingsFromOptions(server, options, opts, runtime);
    const result = await server.migrateDatabase(settings);
    if (opts.json) runtime.stdout.write(formatJson(result));
    else if (result.applied.length === 0) runtime.stdout.write('database is up to date\n');
    else runtime.stdout.write(result.applied.map((name) => `applied ${name}\n`).join(''));
  });
}
