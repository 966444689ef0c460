/** `dm login`, `dm logout`, `dm whoami`: the session stored in credentials.json. */
import { hostname } from 'node:os';
import { ApiError, PhotonClient } from '@photon-dm/client';
import type { Command } from 'commander';
import {
  addClientOptions,
  CliError,
  type ClientOptions,
  createContext,
  type Runtime,
  sameServer,
  UsageError,
} from '../context.ts';
import { credentialsPath, readCredentials, removeCredentials, writeCredentials } from '../credentials.ts';
import { askPassword, readPasswordFromStdin } from '../prompt.ts';
import { renderUser } from './user.ts';

interface LoginOptions extends ClientOptions {
  username?: string;
  passwordStdin?: boolean;
}

/**
 * @example
 * registerLoginCommands(program, runtime); // dm login --server http://127.0.0.1:8080 --username admin
 */
export function registerLoginCommands(program: Command, runtime: Runtime): void {
  addClientOptions(
    program
      .command('login')
      .description('log in and keep the session for the following commands')
      .option('--username <name>', 'account to log in as (default: the stored one)')
      .option('--password-stdin', 'read the password from stdin instead of asking on the terminal'),
  ).action(async (options: LoginOptions) => {
    const context = createContext(runtime, options);
    const { stored, server } = context;
    const username =
      options.username ?? (stored && sameServer(stored.server, server) ? stored.username : undefined);
    if (username === undefined) throw new UsageError('--username is required');
    const password = options.passwordStdin
      ? await readPasswordFromStdin(runtime.stdin)
      : await askPassword(runtime, `Password for ${username} at ${server}: `);

    const issued = await context.client.login({ username, password, tokenName: `dm login on ${hostname()}` });
    if (stored && sameServer(stored.server, server) && stored.token !== issued.token) {
      // The replaced session would otherwise stay valid, unseen, until it expires.
      await new PhotonClient({ server, token: stored.token }).logout().catch(() => undefined);
    }
    writeCredentials(context.credentialsFile, { server, username: issued.username, token: issued.token });
    context.emit(
      issued,
      (token) =>
        `Logged in to ${server} as ${token.username} (session expires ${token.expiresAt ?? 'never'})`,
    );
  });

  program
    .command('logout')
    .description('revoke the stored session and forget it')
    .option('--json', 'print nothing on success (the API answers 204)')
    .action(async (options: { json?: boolean }) => {
      const file = credentialsPath(runtime.env);
      const stored = readCredentials(file);
      if (!stored) {
        if (!options.json) runtime.stdout.write('not logged in\n');
        return;
      }
      let failure: Error | undefined;
      try {
        await new PhotonClient({ server: stored.server, token: stored.token }).logout();
      } catch (error) {
        // 401: the token is already expired or revoked, which is what logging out wants.
        if (!(error instanceof ApiError && error.status === 401)) failure = error as Error;
      }
      removeCredentials(file);
      if (failure) {
        throw new CliError(
          `${failure.message}; the local session was removed, but its token stays valid until it expires`,
        );
      }
      if (!options.json) runtime.stdout.write(`Logged out of ${stored.server}\n`);
    });

  addClientOptions(program.command('whoami').description('show the account the token belongs to')).action(
    async (options: ClientOptions) => {
      const context = createContext(runtime, options);
      context.emit(await context.client.whoami(), renderUser);
    },
  );
}
