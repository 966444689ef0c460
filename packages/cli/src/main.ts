/**
 * The `dm` program: builds the command tree and turns every outcome into an exit code.
 * 0 success; 1 the command failed (an API error, a bad file, an unreachable server); 2 the command line or
 * the settings are wrong; 130 interrupted at a prompt.
 */
import { ApiError } from '@photon-dm/client';
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './commands/audit.ts';
import { registerDaqCommands } from './commands/daq.ts';
import { registerDaqAgentCommand } from './commands/daq-agent.ts';
import { registerDbCommands } from './commands/db.ts';
import { registerDownloadCommand } from './commands/download.ts';
import { registerEventCommands } from './commands/events.ts';
import { registerExperimentCommands } from './commands/experiment.ts';
import { registerExperimentTypeCommands } from './commands/experiment-type.ts';
import { registerFileCommands } from './commands/file.ts';
import { registerJobCommands } from './commands/job.ts';
import { registerLoginCommands } from './commands/login.ts';
import { registerSecretsCommands } from './commands/secrets.ts';
import { registerServeCommand } from './commands/serve.ts';
import type { ServerModule } from './commands/settings-options.ts';
import { registerSetupCommands } from './commands/setup.ts';
import { registerSiteCommands } from './commands/site.ts';
import { registerStationCommands } from './commands/station.ts';
import { registerStorageCommands } from './commands/storage.ts';
import { registerTokenCommands } from './commands/token.ts';
import { registerUploadCommands } from './commands/upload.ts';
import { registerUsageCommands } from './commands/usage.ts';
import { registerUserCommands } from './commands/user.ts';
import { registerWorkflowCommands } from './commands/workflow.ts';
import { CliError, type Runtime } from './context.ts';
import { InterruptedError } from './prompt.ts';

/**
 * `server` is the server package; without it `dm serve` and `dm db` are listed but cannot run.
 *
 * @example
 * await buildProgram(runtime).parseAsync(['node', 'dm', 'experiment', 'list', '--json']);
 */
export function buildProgram(runtime: Runtime, server?: ServerModule): Command {
  const program = new Command('dm')
    .description('Photon DM: data management for X-ray light sources')
    .version('0.1.0')
    // Settings are inherited by the subcommands created below; exitOverride turns commander's own exits
    // into exceptions, so that usage errors get exit code 2 like every other usage error here.
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => runtime.stdout.write(text),
      writeErr: (text) => runtime.stderr.write(text),
    });
  registerServeCommand(program, runtime, server);
  registerDbCommands(program, runtime, server);
  registerLoginCommands(program, runtime);
  registerTokenCommands(program, runtime);
  registerUserCommands(program, runtime);
  registerStationCommands(program, runtime);
  registerSiteCommands(program, runtime);
  registerExperimentTypeCommands(program, runtime);
  registerExperimentCommands(program, runtime);
  registerFileCommands(program, runtime);
  registerDownloadCommand(program, runtime);
  registerUploadCommands(program, runtime);
  registerDaqCommands(program, runtime);
  registerDaqAgentCommand(program, runtime);
  registerStorageCommands(program, runtime);
  registerSecretsCommands(program, runtime);
  registerSetupCommands(program, runtime, server);
  registerWorkflowCommands(program, runtime);
  registerJobCommands(program, runtime);
  registerAuditCommands(program, runtime);
  registerEventCommands(program, runtime);
  registerUsageCommands(program, runtime);
  return program;
}

/**
 * Runs `dm` with `argv` (as in `process.argv`) and returns the exit code. A running `dm serve` keeps the
 * process alive after this returns; it exits on SIGINT/SIGTERM.
 *
 * @example
 * process.exitCode = await main(process.argv);
 */
export async function main(argv: readonly string[], runtime: Runtime = processRuntime()): Promise<number> {
  try {
    // Loading the server costs a second; only the commands that run it pay (`dm help serve` included).
    const wantsServer = argv
      .slice(2)
      .some((argument) => argument === 'serve' || argument === 'db' || argument === 'setup');
    const server = wantsServer ? await import('@photon-dm/server') : undefined;
    await buildProgram(runtime, server).parseAsync([...argv]);
    return 0;
  } catch (error) {
    return report(error, runtime);
  }
}

/**
 * Prints a failure for people on stderr and picks its exit code.
 *
 * @example
 * report(new ApiError(404, 'experiment_not_found', 'experiment "x" not found'), runtime) // 1
 */
export function report(error: unknown, runtime: Runtime): number {
  const write = (text: string) => runtime.stderr.write(`${text}\n`);
  if (error instanceof CommanderError) {
    // Commander has printed the problem or the help already.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof InterruptedError) return 130;
  if (error instanceof ApiError) {
    const lines = error.fieldProblems.map((problem) => `${problem.field}: ${problem.message}`);
    // The server's message often just strings the field problems together; one per line reads better.
    const redundant = lines.length > 0 && lines.every((line) => error.message.includes(line));
    if (redundant && lines.length === 1) {
      write(`error: ${lines[0]}`);
    } else {
      write(`error: ${redundant ? `${lines.length} problems:` : error.message}`);
      for (const line of lines) write(`  ${line}`);
    }
    if (error.status === 401 && error.code === 'unauthenticated' && runtime.authHint)
      write(`  (${runtime.authHint})`);
    return 1;
  }
  if (error instanceof CliError) {
    write(`error: ${error.message}`);
    return error.exitCode;
  }
  write(`error: ${error instanceof Error ? error.message : String(error)}`);
  if (runtime.env.DM_DEBUG && error instanceof Error && error.stack) write(error.stack);
  return 1;
}

function processRuntime(): Runtime {
  return { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}
