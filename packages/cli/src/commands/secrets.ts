/** `dm secrets`: the server's shared secrets (admins). */
import type { Command } from 'commander';
import { addClientOptions, type ClientOptions, createContext, type Runtime } from '../context.ts';

/**
 * @example
 * registerSecretsCommands(program, runtime); // dm secrets rotate-download-key
 */
export function registerSecretsCommands(program: Command, runtime: Runtime): void {
  const secrets = program.command('secrets').description("the server's shared secrets (admins)");
  addClientOptions(
    secrets
      .command('rotate-download-key')
      .description('replace the key that signs download links: every link handed out stops working'),
  ).action(async (options: ClientOptions) => {
    const context = createContext(runtime, options);
    const rotation = await context.client.secrets.rotateDownloadKey();
    context.emit(
      rotation,
      (r) => `download-link key replaced at ${r.rotatedAt}: links made before then no longer work\n`,
    );
  });
}
