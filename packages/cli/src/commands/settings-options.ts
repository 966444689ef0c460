/**
 * Commander options generated from the server's `settingDefinitions`, so `dm serve --help`, the settings
 * parser and docs/operations.md can never disagree about a flag, its DM_* variable or its default.
 */
import type { loadSettings, Settings } from '@photon-dm/server';
import { type Command, Option } from 'commander';
import { CliError, type Runtime } from '../context.ts';

/**
 * The server package, imported only by `dm serve` and `dm db`: it pulls in Fastify, SQLite and PostgreSQL
 * drivers, which would otherwise add a second to every `dm` command.
 */
export type ServerModule = typeof import('@photon-dm/server');

type SettingFlags = NonNullable<NonNullable<Parameters<typeof loadSettings>[0]>['flags']>;
type SettingKey = ServerModule['settingDefinitions'][number]['key'];

/** Commander attribute name (`dataDir`) of each setting key that has a flag. */
export type SettingOptionMap = Map<SettingKey | 'configFile', string>;

/**
 * Adds one option per setting (all of them, or those in `keys`) and `--config`.
 *
 * @example
 * const map = addSettingOptions(server, program.command('serve'));
 * const flags = settingFlags(map, command.opts());
 */
export function addSettingOptions(
  server: ServerModule,
  command: Command,
  keys?: readonly SettingKey[],
): SettingOptionMap {
  const map: SettingOptionMap = new Map();
  for (const definition of server.settingDefinitions) {
    if (definition.flag === undefined || (keys && !keys.includes(definition.key))) continue;
    const option = new Option(
      definition.flag,
      `${definition.description} [env ${definition.env}, default ${definition.defaultText}]`,
    );
    command.addOption(option);
    map.set(definition.key, option.attributeName());
  }
  const config = new Option(
    '--config <file>',
    `JSON file with settings, keyed like the flags in camelCase [env ${server.configFileEnv}]`,
  );
  command.addOption(config);
  map.set('configFile', config.attributeName());
  return map;
}

/**
 * The settings for `dm serve` and `dm db`: flags, then DM_* variables, then the config file. Problems are an
 * operator's usage error, so they exit 2, with every problem listed at once.
 *
 * @example
 * const settings = settingsFromOptions(server, map, command.opts(), runtime);
 */
export function settingsFromOptions(
  server: ServerModule,
  map: SettingOptionMap,
  options: Record<string, unknown>,
  runtime: Runtime,
): Settings {
  try {
    return server.loadSettings({ flags: settingFlags(map, options), env: runtime.env });
  } catch (error) {
    if (error instanceof server.SettingsError) throw new CliError(error.message, 2);
    throw error;
  }
}

/**
 * The `flags` argument of `loadSettings`: keyed by setting key, undefined when not given, so the settings
 * parser can fall back to DM_* variables and the config file and name where each value came from.
 *
 * @example
 * loadSettings({ flags: settingFlags(map, command.opts()), env: process.env });
 */
export function settingFlags(map: SettingOptionMap, options: Record<string, unknown>): SettingFlags {
  const flags: SettingFlags = {};
  for (const [key, attribute] of map) {
    const value = options[attribute];
    flags[key] = value === undefined ? undefined : String(value);
  }
  return flags;
}

/**
 * The help lines for settings without a flag (secrets: a flag would show up in `ps` output).
 *
 * @example
 * command.addHelpText('after', environmentOnlyHelp(server));
 */
export function environmentOnlyHelp(server: ServerModule): string {
  const lines = server.settingDefinitions
    .filter((definition) => definition.flag === undefined)
    .map(
      (definition) => `  ${definition.env}  ${definition.description} [default ${definition.defaultText}]`,
    );
  return lines.length === 0
    ? ''
    : `\nEnvironment only (no flag, so secrets stay out of "ps"):\n${lines.join('\n')}`;
}
