/** `dm station`: beamlines and their managers. */
import { ApiError, type Station, type StationAccounts, type StationSources } from '@photon-dm/client';
import type { Command } from 'commander';
import {
  addClientOptions,
  type ClientOptions,
  createContext,
  orNull,
  positiveInteger,
  type Runtime,
} from '../context.ts';
import { type Column, formatRecord } from '../output.ts';
import { registerStationSourceCommands, sourceFields } from './station-sources.ts';

const stationColumns: Column<Station>[] = [
  { header: 'NAME', value: (s) => s.name },
  { header: 'MANAGERS', value: (s) => s.managers },
  { header: 'DESCRIPTION', value: (s) => s.description },
];

function renderStation(station: Station & Partial<StationSources> & { accounts?: string[] }): string {
  return formatRecord({
    name: station.name,
    description: station.description,
    managers: station.managers,
    ...(station.accounts && { accounts: station.accounts }),
    ...(station.sourceRoots !== undefined && sourceFields(station as StationSources)),
    createdAt: station.createdAt,
    updatedAt: station.updatedAt,
  });
}

function renderAccounts(list: StationAccounts): string {
  if (list.accounts.length === 0) return `station ${list.station} lists no unix accounts`;
  return `station ${list.station} runs workflows as: ${list.accounts.map((a) => a.account).join(', ')}`;
}

/**
 * @example
 * registerStationCommands(program, runtime); // dm station add 8-ID-I --description XPCS
 */
export function registerStationCommands(program: Command, runtime: Runtime): void {
  const station = program.command('station').description('beamlines and instruments');

  addClientOptions(
    station
      .command('add')
      .description('register a station (admins)')
      .argument('<name>', 'station name, e.g. 8-ID-I')
      .option('--description <text>', 'what the station does'),
  ).action(async (name: string, options: ClientOptions & { description?: string }) => {
    const context = createContext(runtime, options);
    const { description } = options;
    const created = await context.client.stations.create({
      name,
      ...(description !== undefined && { description }),
    });
    context.emit(created, renderStation);
  });

  addClientOptions(
    station
      .command('list')
      .description('list stations')
      .option('--limit <number>', 'show at most this many', positiveInteger, 100),
  ).action(async (options: ClientOptions & { limit: number }) => {
    const context = createContext(runtime, options);
    await context.list(
      (page) => context.client.stations.list(page),
      options.limit,
      stationColumns,
      'stations',
    );
  });

  addClientOptions(
    station.command('show').description('show one station').argument('<name>', 'station name'),
  ).action(async (name: string, options: ClientOptions) => {
    const context = createContext(runtime, options);
    // Source roots are for admins and the station's managers; others see the station without them.
    const [shown, accounts, sources] = await Promise.all([
      context.client.stations.show(name),
      context.client.stations.accounts(name),
      context.client.stations.sources(name).catch((error: unknown) => {
        if (error instanceof ApiError && error.code === 'forbidden') return undefined;
        throw error;
      }),
    ]);
    const { station: _name, ...fields } = sources ?? { station: name };
    context.emit({ ...shown, ...fields, accounts: accounts.accounts.map((a) => a.account) }, renderStation);
  });

  addClientOptions(
    station
      .command('update')
      .description('change a station (admins)')
      .argument('<name>', 'station name')
      .requiredOption('--description <text>', "what the station does ('' clears it)"),
  ).action(async (name: string, options: ClientOptions & { description: string }) => {
    const context = createContext(runtime, options);
    const description = orNull(options.description) ?? null;
    context.emit(await context.client.stations.update(name, { description }), renderStation);
  });

  addClientOptions(
    station
      .command('add-manager')
      .description('let a user manage a station and its experiments (admins)')
      .argument('<station>', 'station name')
      .argument('<user>', 'username'),
  ).action(async (name: string, username: string, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.stations.addManager(name, username), renderStation);
  });

  addClientOptions(
    station
      .command('remove-manager')
      .description("take a user's management of a station away (admins)")
      .argument('<station>', 'station name')
      .argument('<user>', 'username'),
  ).action(async (name: string, username: string, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.stations.removeManager(name, username), renderStation);
  });

  addClientOptions(
    station
      .command('add-account')
      .description(
        "let the station's workflows run as a unix account (admins; never root, a system account " +
          'below DM_MIN_STAGE_UID, or one of DM_FORBIDDEN_ACCOUNTS)',
      )
      .argument('<station>', 'station name')
      .argument('<account>', 'unix account, e.g. s8iduser'),
  ).action(async (name: string, account: string, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.stations.addAccount(name, account), renderAccounts);
  });

  addClientOptions(
    station
      .command('remove-account')
      .description("take a unix account off the station's list (admins); jobs running as it then fail")
      .argument('<station>', 'station name')
      .argument('<account>', 'unix account'),
  ).action(async (name: string, account: string, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.stations.removeAccount(name, account), renderAccounts);
  });

  registerStationSourceCommands(station, runtime);
}
