/** `dm station add-source-root`, `remove-source-root`, `set-source-account`: where a station's data may come from. */
import type { StationSources } from '@photon-dm/client';
import type { Command } from 'commander';
import { addClientOptions, type ClientOptions, createContext, type Runtime } from '../context.ts';
import { formatRecord } from '../output.ts';

/** The lines `dm station show` adds for admins and the station's managers. */
export function sourceFields(sources: StationSources): Record<string, unknown> {
  return {
    sourceRoots: sources.sourceRoots.map((root) => root.path),
    sourceAccount: sources.sourceAccount,
    checkedAs: sources.checkedAs,
  };
}

function renderSources(sources: StationSources): string {
  return formatRecord({ station: sources.station, ...sourceFields(sources) });
}

/**
 * @example
 * registerStationSourceCommands(station, runtime); // dm station add-source-root 8-ID-I /detector/8id
 */
export function registerStationSourceCommands(station: Command, runtime: Runtime): void {
  addClientOptions(
    station
      .command('add-source-root')
      .description("let the station's uploads and DAQs read below a directory of the server (admins)")
      .argument('<station>', 'station name')
      .argument('<directory>', 'absolute directory on the server, e.g. /detector/8id'),
  ).action(async (name: string, directory: string, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.stations.addSourceRoot(name, directory), renderSources);
  });

  addClientOptions(
    station
      .command('remove-source-root')
      .description('take a source root away (admins); running transfers keep going until restarted')
      .argument('<station>', 'station name')
      .argument('<directory>', 'the root as `dm station show` lists it'),
  ).action(async (name: string, directory: string, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.stations.removeSourceRoot(name, directory), renderSources);
  });

  addClientOptions(
    station
      .command('set-source-account')
      .description("the unix account (beamline data account) the station's sources are checked as (admins)")
      .argument('<station>', 'station name')
      .argument('[account]', 'a non-system unix account; omit with --clear')
      .option('--clear', "check as the server's stageAccount instead"),
  ).action(
    async (name: string, account: string | undefined, options: ClientOptions & { clear?: boolean }) => {
      const context = createContext(runtime, options);
      if ((account === undefined) === (options.clear !== true))
        throw new Error('name an account, or give --clear (not both)');
      context.emit(await context.client.stations.setSourceAccount(name, account ?? null), renderSources);
    },
  );
}
