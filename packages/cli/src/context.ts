/**
 * What every client command needs before it can talk to the server: which server, which token, and whether
 * to print for people or for scripts. Precedence, most specific first:
 * - server: `--server`, then `DM_SERVER`, then the server stored by `dm login`;
 * - token: `DM_TOKEN`, then the stored token. Tokens are never flags: a flag shows up in `ps` and in shell
 *   history.
 */
import { collectPages, type Page, type PageFetcher, PhotonClient } from '@photon-dm/client';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type Credentials, credentialsPath, readCredentials } from './credentials.ts';
import { type Column, formatJson, formatTable } from './output.ts';
import type { Terminal } from './prompt.ts';

/** The process' surroundings, passed in rather than read from globals so commands run in tests too. */
export interface Runtime extends Terminal {
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown };
  /** Filled in by `createContext` so that a 401 can be explained ("not logged in", "session expired"). */
  authHint?: string;
}

/** A failure with its own exit code; everything else that `dm` throws exits 1. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Wrong use of the command line: exit code 2, as commander uses for unknown options. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, 2);
  }
}

export interface ClientOptions {
  server?: string;
  json?: boolean;
}

export const noServerMessage = 'no server: run "dm login --server URL ..." or set DM_SERVER';

/**
 * Adds `--server` and `--json`, which every command that talks to the server accepts.
 *
 * @example
 * addClientOptions(program.command('whoami')).action(...)
 */
export function addClientOptions(command: Command): Command {
  return command
    .addOption(new Option('--server <url>', 'URL of the Photon DM server [env DM_SERVER]').env('DM_SERVER'))
    .option('--json', "print the API's JSON response instead of text");
}

/**
 * Commander argument parser for `--limit N` and ids.
 *
 * @example
 * command.option('--limit <number>', 'at most this many', positiveInteger, 100)
 */
export function positiveInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError('expected a whole number of at least 1');
  }
  return value;
}

/**
 * Turns an empty option value into `null`, the API's "clear this field" (`--description ''`).
 *
 * @example
 * orNull('') // null
 */
export function orNull(value: string | undefined): string | null | undefined {
  return value === '' ? null : value;
}

/**
 * Trailing slashes are noise: `http://host:8080/` and `http://host:8080` are the same server.
 *
 * @example
 * sameServer('http://dm:8080/', 'http://dm:8080') // true
 */
export function sameServer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/**
 * The resolved server, token and output mode of one command.
 *
 * @example
 * const context = createContext(runtime, command.opts());
 * context.emit(await context.client.whoami(), (user) => formatRecord(user));
 */
export class CommandContext {
  constructor(
    readonly runtime: Runtime,
    readonly client: PhotonClient,
    readonly json: boolean,
    readonly credentialsFile: string,
    readonly stored: Credentials | undefined,
  ) {}

  get server(): string {
    return this.client.server;
  }

  /** The API's response: as JSON with `--json`, otherwise as `render` shows it. */
  emit<T>(response: T, render: (response: T) => string): void {
    this.runtime.stdout.write(this.json ? formatJson(response) : `${render(response)}\n`);
  }

  /** A line for people only; with `--json` stdout carries nothing but JSON. */
  say(text: string): void {
    if (!this.json) this.runtime.stdout.write(`${text}\n`);
  }

  /** Follows pages until `limit` items, then prints them as a table (or as one page of JSON). */
  async list<T>(
    fetchPage: PageFetcher<T>,
    limit: number,
    columns: Column<T>[],
    noun: string,
  ): Promise<Page<T>> {
    const page = await collectPages(fetchPage, { limit });
    if (this.json) {
      this.runtime.stdout.write(formatJson(page));
      return page;
    }
    this.runtime.stdout.write(
      page.items.length === 0 ? `no ${noun}\n` : `${formatTable(page.items, columns)}\n`,
    );
    if (page.nextCursor !== null) {
      this.runtime.stderr.write(`(first ${page.items.length} ${noun} shown; use --limit to see more)\n`);
    }
    return page;
  }
}

/**
 * @example
 * const context = createContext(runtime, { server: 'http://127.0.0.1:8080', json: true });
 */
export function createContext(runtime: Runtime, options: ClientOptions): CommandContext {
  const credentialsFile = credentialsPath(runtime.env);
  const stored = readCredentials(credentialsFile);
  const server = options.server ?? stored?.server;
  if (server === undefined || server === '') throw new CliError(noServerMessage);
  if (!/^https?:\/\/[^/]/.test(server)) {
    throw new UsageError(`server "${server}" is not an http:// or https:// URL`);
  }

  let token: string | undefined;
  const envToken = runtime.env.DM_TOKEN;
  if (envToken !== undefined && envToken !== '') {
    token = envToken;
    runtime.authHint = 'the token in DM_TOKEN was refused';
  } else if (stored && sameServer(stored.server, server)) {
    token = stored.token;
    runtime.authHint = `your session as ${stored.username} has expired or was revoked: run "dm login" again`;
  } else {
    // A stored token belongs to the server it was issued by; sending it elsewhere would hand it over.
    runtime.authHint = `not logged in to ${server}: run "dm login --server ${server} --username NAME" or set DM_TOKEN`;
  }
  const client = new PhotonClient({ server, token });
  return new CommandContext(runtime, client, options.json === true, credentialsFile, stored);
}
