/** `dm user`: accounts. */
import type { UpdatedUser, UpdateUserInput, User } from '@photon-dm/client';
import type { Command } from 'commander';
import {
  addClientOptions,
  type ClientOptions,
  createContext,
  orNull,
  positiveInteger,
  type Runtime,
  UsageError,
} from '../context.ts';
import { type Column, formatRecord } from '../output.ts';
import { readPasswordFromStdin } from '../prompt.ts';

const userColumns: Column<User>[] = [
  { header: 'USERNAME', value: (u) => u.username },
  { header: 'DISPLAY NAME', value: (u) => u.displayName },
  { header: 'EMAIL', value: (u) => u.email },
  { header: 'UNIX ACCOUNT', value: (u) => u.unixAccount },
  { header: 'ADMIN', value: (u) => u.isAdmin },
  { header: 'DISABLED', value: (u) => u.disabled },
  { header: 'MANAGES', value: (u) => u.managedStations },
];

/**
 * @example
 * context.emit(user, renderUser);
 */
export function renderUser(user: User): string {
  return formatRecord({
    username: user.username,
    displayName: user.displayName,
    email: user.email,
    unixAccount: user.unixAccount,
    isAdmin: user.isAdmin,
    disabled: user.disabled,
    managedStations: user.managedStations,
    maxStageProcesses: user.maxStageProcesses ?? 'site limit',
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  });
}

/** The account, and after a new password how many of its sessions were signed out. */
export function renderUpdatedUser(user: UpdatedUser): string {
  if (user.sessionsRevoked === undefined) return renderUser(user);
  const sessions = user.sessionsRevoked === 1 ? '1 other session' : `${user.sessionsRevoked} other sessions`;
  return `${renderUser(user)}\nPassword changed: ${sessions} signed out; API tokens stay valid (dm token list).`;
}

/**
 * `none` clears the user's limit (the site's applies alone); otherwise a count of at least 1. Kept as the
 * word here (commander turns a parser's null into ''), made null when the request is built.
 */
function stageProcessLimit(value: string): number | 'none' {
  return value === 'none' ? 'none' : positiveInteger(value);
}

interface ProfileOptions extends ClientOptions {
  email?: string;
  displayName?: string;
  unixAccount?: string;
  admin?: boolean;
  passwordStdin?: boolean;
}

function addProfileOptions(command: Command, clearable: boolean): Command {
  const clear = clearable ? " ('' clears it)" : '';
  return command
    .option('--email <address>', `email address${clear}`)
    .option('--display-name <text>', `name shown to people${clear}`)
    .option('--unix-account <name>', `POSIX account that owns the user's files${clear}`)
    .option('--password-stdin', 'read a password from stdin (accounts without one log in with tokens only)');
}

/**
 * @example
 * registerUserCommands(program, runtime); // dm user add alice --email alice@example.org
 */
export function registerUserCommands(program: Command, runtime: Runtime): void {
  const user = program.command('user').description('accounts');

  addClientOptions(
    addProfileOptions(
      user.command('add').description('create an account (admins)').argument('<name>', 'username'),
      false,
    ).option('--admin', 'make the account an administrator'),
  ).action(async (name: string, options: ProfileOptions) => {
    const context = createContext(runtime, options);
    const password = options.passwordStdin ? await readPasswordFromStdin(runtime.stdin) : undefined;
    const created = await context.client.users.create({
      username: name,
      ...(options.email !== undefined && { email: options.email }),
      ...(options.displayName !== undefined && { displayName: options.displayName }),
      ...(options.unixAccount !== undefined && { unixAccount: options.unixAccount }),
      ...(options.admin && { isAdmin: true }),
      ...(password !== undefined && { password }),
    });
    context.emit(created, renderUser);
  });

  addClientOptions(
    user
      .command('list')
      .description('list accounts (admins and station managers see everyone, others themselves)')
      .option('--search <text>', 'text in the username, display name or email')
      .option('--limit <number>', 'show at most this many', positiveInteger, 100),
  ).action(async (options: ClientOptions & { search?: string; limit: number }) => {
    const context = createContext(runtime, options);
    const { search } = options;
    await context.list(
      (page) => context.client.users.list({ ...page, search }),
      options.limit,
      userColumns,
      'users',
    );
  });

  addClientOptions(
    user.command('show').description('show one account').argument('<name>', 'username'),
  ).action(async (name: string, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.users.show(name), renderUser);
  });

  addClientOptions(
    addProfileOptions(
      user.command('update').description('change an account').argument('<name>', 'username'),
      true,
    )
      .option('--admin', 'make the account an administrator')
      .option('--no-admin', 'take administrator rights away')
      .option('--enable', 'enable a disabled account')
      .option(
        '--max-stage-processes <number|none>',
        "admins: most processes one parallel stage of the user's jobs runs at once (none: the site's DM_STAGE_MAX_PARALLEL)",
        stageProcessLimit,
      ),
  ).action(
    async (
      name: string,
      options: ProfileOptions & { enable?: boolean; maxStageProcesses?: number | 'none' },
    ) => {
      const changes: UpdateUserInput = {};
      if (options.email !== undefined) changes.email = orNull(options.email);
      if (options.displayName !== undefined) changes.displayName = orNull(options.displayName);
      if (options.unixAccount !== undefined) changes.unixAccount = orNull(options.unixAccount);
      if (options.admin !== undefined) changes.isAdmin = options.admin;
      if (options.enable) changes.disabled = false;
      if (options.maxStageProcesses !== undefined)
        changes.maxStageProcesses = options.maxStageProcesses === 'none' ? null : options.maxStageProcesses;
      if (Object.keys(changes).length === 0 && !options.passwordStdin) {
        throw new UsageError(
          'nothing to change: give --email, --display-name, --unix-account, --admin, --no-admin, --max-stage-processes, --password-stdin or --enable',
        );
      }
      const context = createContext(runtime, options);
      if (options.passwordStdin) changes.password = await readPasswordFromStdin(runtime.stdin);
      context.emit(await context.client.users.update(name, changes), renderUpdatedUser);
    },
  );

  addClientOptions(
    user
      .command('disable')
      .description('disable an account: it can no longer log in and its tokens stop working')
      .argument('<name>', 'username'),
  ).action(async (name: string, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.users.update(name, { disabled: true }), renderUser);
  });
}
