/** `dm token`: long-lived API tokens for scripts and DAQ machines. */
import type { IssuedToken, Token } from '@photon-dm/client';
import type { Command } from 'commander';
import {
  addClientOptions,
  type ClientOptions,
  createContext,
  positiveInteger,
  type Runtime,
} from '../context.ts';
import type { Column } from '../output.ts';

const tokenColumns: Column<Token>[] = [
  { header: 'ID', value: (t) => t.id },
  { header: 'NAME', value: (t) => t.name },
  { header: 'KIND', value: (t) => t.kind },
  { header: 'USER', value: (t) => t.username },
  { header: 'CREATED', value: (t) => t.createdAt },
  { header: 'EXPIRES', value: (t) => t.expiresAt ?? 'never' },
  { header: 'LAST USED', value: (t) => t.lastUsedAt },
];

function renderIssued(token: IssuedToken): string {
  return [
    `Created token ${token.id} "${token.name}" for ${token.username} (expires ${token.expiresAt ?? 'never'}).`,
    'Its secret is shown only this once; use it as DM_TOKEN or as "Authorization: Bearer <secret>":',
    token.token,
  ].join('\n');
}

/**
 * @example
 * registerTokenCommands(program, runtime); // dm token create --name ci --expires 90d
 */
export function registerTokenCommands(program: Command, runtime: Runtime): void {
  const token = program.command('token').description('API tokens for scripts');

  addClientOptions(
    token
      .command('create')
      .description('make an API token and print its secret once')
      .requiredOption('--name <name>', 'what the token is for, shown in "dm token list"')
      .option('--expires <duration>', 'lifetime like 12h, 90d or 2w (default: never expires)'),
  ).action(async (options: ClientOptions & { name: string; expires?: string }) => {
    const context = createContext(runtime, options);
    const issued = await context.client.tokens.create({
      name: options.name,
      ...(options.expires !== undefined && { expiresIn: options.expires }),
    });
    context.emit(issued, renderIssued);
  });

  addClientOptions(
    token
      .command('list')
      .description("list your tokens (admins: everyone's with --all)")
      .option('--all', "everyone's tokens (admins only)")
      .option('--limit <number>', 'show at most this many', positiveInteger, 100),
  ).action(async (options: ClientOptions & { all?: boolean; limit: number }) => {
    const context = createContext(runtime, options);
    const all = options.all ? true : undefined;
    await context.list(
      (page) => context.client.tokens.list({ ...page, all }),
      options.limit,
      tokenColumns,
      'tokens',
    );
  });

  addClientOptions(
    token
      .command('revoke')
      .description('revoke a token at once')
      .argument('<id>', 'token id', positiveInteger),
  ).action(async (id: number, options: ClientOptions) => {
    const context = createContext(runtime, options);
    await context.client.tokens.revoke(id);
    context.say(`Revoked token ${id}`);
  });
}
