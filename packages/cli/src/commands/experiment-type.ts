/** `dm experiment-type`: the kinds of experiment a facility runs. */
import type { ExperimentType } from '@photon-dm/client';
import type { Command } from 'commander';
import {
  addClientOptions,
  type ClientOptions,
  createContext,
  positiveInteger,
  type Runtime,
} from '../context.ts';
import { type Column, formatRecord } from '../output.ts';

const typeColumns: Column<ExperimentType>[] = [
  { header: 'NAME', value: (t) => t.name },
  { header: 'DESCRIPTION', value: (t) => t.description },
];

/**
 * @example
 * registerExperimentTypeCommands(program, runtime); // dm experiment-type add XPCS
 */
export function registerExperimentTypeCommands(program: Command, runtime: Runtime): void {
  const experimentType = program
    .command('experiment-type')
    .description('kinds of experiment (XPCS, SAXS, ...)');

  addClientOptions(
    experimentType
      .command('add')
      .description('register an experiment type (admins)')
      .argument('<name>', 'type name, e.g. XPCS')
      .option('--description <text>', 'what the type means'),
  ).action(async (name: string, options: ClientOptions & { description?: string }) => {
    const context = createContext(runtime, options);
    const { description } = options;
    const created = await context.client.experimentTypes.create({
      name,
      ...(description !== undefined && { description }),
    });
    context.emit(created, (type) =>
      formatRecord({ name: type.name, description: type.description, createdAt: type.createdAt }),
    );
  });

  addClientOptions(
    experimentType
      .command('list')
      .description('list experiment types')
      .option('--limit <number>', 'show at most this many', positiveInteger, 100),
  ).action(async (options: ClientOptions & { limit: number }) => {
    const context = createContext(runtime, options);
    const client = context.client;
    await context.list(
      (page) => client.experimentTypes.list(page),
      options.limit,
      typeColumns,
      'experiment types',
    );
  });
}
