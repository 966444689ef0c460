/**
 * `dm site`: where workflow stages run. Admins add a site once (how to reach it, its batch defaults, its
 * secrets); workflows name it per stage. Secrets are read from files (`--token-file`, `-` for stdin), never
 * from the command line, where `ps` and shell histories would keep them.
 */
import { readFileSync } from 'node:fs';
import type { CreateSiteInput, Site, UpdateSiteInput } from '@photon-dm/client';
import { type Command, Option } from 'commander';
import {
  addClientOptions,
  CliError,
  type ClientOptions,
  createContext,
  positiveInteger,
  type Runtime,
} from '../context.ts';
import { formatDuration, positiveDuration } from '../duration.ts';
import { type Column, formatRecord } from '../output.ts';

type Connection = NonNullable<CreateSiteInput['connection']>;
type Defaults = NonNullable<CreateSiteInput['defaults']>;
type Secrets = NonNullable<CreateSiteInput['secrets']>;

interface SiteOptions extends ClientOptions {
  description?: string;
  host?: string;
  identityFile?: string;
  url?: string;
  endpointId?: string;
  clientId?: string;
  resourceId?: string;
  apiVersion?: 'v1' | 'v2';
  tokenFile?: string;
  clientSecretFile?: string;
  partition?: string;
  queue?: string;
  account?: string;
  project?: string;
  walltime?: number;
  nodes?: number;
  gpus?: number;
  reservation?: string;
  qos?: string;
  workDir?: string;
  staging?: 'shared' | 'copy' | 'globus';
  remoteStorageRoot?: string;
  maxRunning?: number;
}

const siteColumns: Column<Site>[] = [
  { header: 'NAME', value: (s) => s.name },
  { header: 'KIND', value: (s) => s.kind },
  { header: 'ENABLED', value: (s) => (s.enabled ? 'yes' : 'no') },
  { header: 'HOST', value: (s) => s.connection?.host ?? s.connection?.url ?? '' },
  { header: 'DESCRIPTION', value: (s) => s.description },
];

function renderSite(site: Site): string {
  const { walltime, ...defaults } = site.defaults ?? {};
  return formatRecord({
    name: site.name,
    kind: site.kind,
    description: site.description,
    enabled: site.enabled,
    ...site.connection,
    ...(site.secretsSet !== undefined && { secrets: site.secretsSet }),
    ...defaults,
    ...(walltime !== undefined && { walltime: formatDuration(walltime) }),
    ...(site.workDir !== undefined && { workDir: site.workDir }),
    ...(site.staging !== undefined && { staging: site.staging }),
    ...(site.remoteStorageRoot !== undefined && { remoteStorageRoot: site.remoteStorageRoot }),
    ...(site.maxRunning !== undefined && { maxRunning: site.maxRunning }),
    ...(site.updatedAt !== undefined && { updatedAt: site.updatedAt }),
  });
}

/** The option's text file, without its final newline; `-` reads standard input. */
function secretFrom(file: string, option: string): string {
  try {
    const text = readFileSync(file === '-' ? 0 : file, 'utf8').replace(/\r?\n$/, '');
    if (text === '') throw new CliError(`${option} ${file} is empty`);
    return text;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${option} ${file}: ${(error as Error).message}`);
  }
}

const defined = <T extends object>(record: T): T =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;

function connectionOf(options: SiteOptions): Connection {
  return defined({
    host: options.host,
    identityFile: options.identityFile,
    url: options.url,
    endpointId: options.endpointId,
    clientId: options.clientId,
    resourceId: options.resourceId,
    apiVersion: options.apiVersion,
  });
}

function defaultsOf(options: SiteOptions): Defaults {
  return defined({
    queue: options.partition ?? options.queue,
    account: options.account ?? options.project,
    walltime: options.walltime === undefined ? undefined : Math.ceil(options.walltime),
    nodes: options.nodes,
    gpus: options.gpus,
    reservation: options.reservation,
    qos: options.qos,
  });
}

function secretsOf(options: SiteOptions): Secrets {
  return defined({
    token: options.tokenFile === undefined ? undefined : secretFrom(options.tokenFile, '--token-file'),
    clientSecret:
      options.clientSecretFile === undefined
        ? undefined
        : secretFrom(options.clientSecretFile, '--client-secret-file'),
  });
}

const nonEmpty = <T extends object>(record: T): T | undefined =>
  Object.keys(record).length === 0 ? undefined : record;

function addSiteOptions(command: Command): Command {
  return addClientOptions(
    command
      .option('--description <text>', 'what the site is')
      .option('--host <user@host[:port]>', 'reach it over SSH (slurm and pbs without it: this host)')
      .option('--identity-file <path>', 'the SSH private key, a file on the server')
      .option('--url <url>', 'slurmrestd, IRI API or Globus Compute base URL')
      .option('--endpoint-id <id>', 'the Globus Compute endpoint')
      .option('--client-id <id>', 'the Globus OAuth2 client id')
      .option('--resource-id <id>', 'the IRI compute resource')
      .addOption(new Option('--api-version <version>', 'the IRI API version').choices(['v1', 'v2']))
      .option('--token-file <file>', 'a file holding the bearer token (- for stdin)')
      .option('--client-secret-file <file>', 'a file holding the OAuth2 client secret (- for stdin)')
      .option('--partition <name>', 'the default partition (Slurm)')
      .option('--queue <name>', 'the default queue (PBS; the same field as --partition)')
      .option('--account <name>', 'the account or project charged')
      .option('--project <name>', 'the same as --account')
      .option('--walltime <duration>', 'how long a stage may run, like 15m or 2h', positiveDuration)
      .option('--nodes <number>', 'nodes per stage', positiveInteger)
      .option('--gpus <number>', 'GPUs per stage', positiveInteger)
      .option('--reservation <name>', 'a reservation')
      .option('--qos <name>', 'a quality of service')
      .option('--work-dir <path>', 'where stages run at the site')
      .addOption(
        new Option('--staging <mode>', 'how data reaches the site').choices(['shared', 'copy', 'globus']),
      )
      .option('--remote-storage-root <path>', 'where a shared site mounts the storage root')
      .option('--max-running <number>', 'the most stages it runs at once', positiveInteger),
  );
}

/**
 * @example
 * registerSiteCommands(program, runtime); // dm site add polaris --kind slurm --host svc@polaris
 */
export function registerSiteCommands(program: Command, runtime: Runtime): void {
  const site = program.command('site').description('compute sites where workflow stages run');

  addSiteOptions(
    site
      .command('add')
      .description('define a compute site (admins)')
      .argument('<name>', 'site name, e.g. polaris')
      .addOption(
        new Option('--kind <kind>', 'how the site is reached')
          .choices(['local', 'slurm', 'pbs', 'ssh', 'globus-compute', 'iri'])
          .makeOptionMandatory(),
      )
      .option('--disabled', 'add it without letting stages run there yet'),
  ).action(async (name: string, options: SiteOptions & { kind: Site['kind']; disabled?: boolean }) => {
    const context = createContext(runtime, options);
    const input: CreateSiteInput = defined({
      name,
      kind: options.kind,
      description: options.description,
      enabled: options.disabled ? false : undefined,
      connection: nonEmpty(connectionOf(options)),
      secrets: nonEmpty(secretsOf(options)),
      defaults: nonEmpty(defaultsOf(options)),
      workDir: options.workDir,
      staging: options.staging,
      remoteStorageRoot: options.remoteStorageRoot,
      maxRunning: options.maxRunning,
    });
    context.emit(await context.client.sites.create(input), renderSite);
  });

  addSiteOptions(
    site
      .command('update')
      .description('change a compute site (admins); options given replace, others stay')
      .argument('<name>', 'site name')
      .option('--enable', 'let stages run there')
      .option('--disable', 'take no new stages there'),
  ).action(async (name: string, options: SiteOptions & { enable?: boolean; disable?: boolean }) => {
    const context = createContext(runtime, options);
    if (options.enable && options.disable) throw new CliError('--enable and --disable contradict');
    const current = await context.client.sites.show(name);
    const connection = connectionOf(options);
    const defaults = defaultsOf(options);
    const secrets = secretsOf(options);
    const changes: UpdateSiteInput = defined({
      description: options.description,
      enabled: options.enable ? true : options.disable ? false : undefined,
      connection: nonEmpty(connection) && { ...current.connection, ...connection },
      defaults: nonEmpty(defaults) && { ...current.defaults, ...defaults },
      secrets: nonEmpty(secrets),
      workDir: options.workDir,
      staging: options.staging,
      remoteStorageRoot: options.remoteStorageRoot,
      maxRunning: options.maxRunning,
    });
    context.emit(await context.client.sites.update(name, changes), renderSite);
  });

  addClientOptions(
    site
      .command('list')
      .description('list compute sites')
      .option('--limit <number>', 'show at most this many', positiveInteger, 100),
  ).action(async (options: ClientOptions & { limit: number }) => {
    const context = createContext(runtime, options);
    await context.list((page) => context.client.sites.list(page), options.limit, siteColumns, 'sites');
  });

  addClientOptions(
    site.command('show').description('show one compute site').argument('<name>', 'site name'),
  ).action(async (name: string, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.sites.show(name), renderSite);
  });

  addClientOptions(
    site
      .command('test')
      .description('submit a trivial command there and cancel another, step by step (admins)')
      .argument('<name>', 'site name')
      .option('--timeout <duration>', 'how long the command may queue and run', positiveDuration, 120),
  ).action(async (name: string, options: ClientOptions & { timeout: number }) => {
    const context = createContext(runtime, options);
    const report = await context.client.sites.test(name, { timeoutSeconds: Math.ceil(options.timeout) });
    context.emit(report, (r) =>
      r.steps
        .map(
          (step) =>
            `${step.ok ? 'ok  ' : 'FAIL'}  ${step.step.padEnd(7)} ${step.seconds.toFixed(1)}s  ${step.detail}`,
        )
        .join('\n'),
    );
    if (!report.ok) throw new CliError(`site ${name} failed its test`);
  });

  addClientOptions(
    site
      .command('remove')
      .description('remove a compute site (admins); workflows naming it then fail to start')
      .argument('<name>', 'site name'),
  ).action(async (name: string, options: ClientOptions) => {
    const context = createContext(runtime, options);
    await context.client.sites.remove(name);
    context.say(`Removed site ${name}`);
  });
}
