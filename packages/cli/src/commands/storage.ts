/** `dm storage`: the experiment storage trees on disk. */
import type { Command } from 'commander';
import { addClientOptions, type ClientOptions, createContext, type Runtime } from '../context.ts';
import { formatRecord } from '../output.ts';

/**
 * @example
 * registerStorageCommands(program, runtime); // dm storage restore-permissions --experiment E
 */
export function registerStorageCommands(program: Command, runtime: Runtime): void {
  const storage = program.command('storage').description('experiment storage on disk');
  addClientOptions(
    storage
      .command('restore-permissions')
      .description("set an experiment tree's ACLs from its members again (staff)")
      .requiredOption('--experiment <name>', 'the experiment'),
  ).action(async (options: ClientOptions & { experiment: string }) => {
    const context = createContext(runtime, options);
    const report = await context.client.storage.restorePermissions(options.experiment);
    context.emit(report, (r) =>
      formatRecord({
        mode: r.mode,
        readers: r.readers.join(', ') || '(none)',
        warnings: r.warnings.join('; ') || '(none)',
      }),
    );
  });
}
