/** `dm experiment`: registration, life cycle and membership (APS: dm-add-experiment, dm-start-experiment...). */
import {
  ApiError,
  type Experiment,
  type ExperimentSort,
  type ImportResult,
  type UpdateExperimentInput,
} from '@photon-dm/client';
import { type Command, Option } from 'commander';
import {
  addClientOptions,
  CliError,
  type ClientOptions,
  createContext,
  orNull,
  positiveInteger,
  type Runtime,
  UsageError,
} from '../context.ts';
import { describeImportField, readProposalFile, splitUsers } from '../import-file.ts';
import { type Column, formatRecord } from '../output.ts';
import { confirm } from '../prompt.ts';

const experimentColumns: Column<Experiment>[] = [
  { header: 'NAME', value: (e) => e.name },
  { header: 'STATION', value: (e) => e.experimentStation },
  { header: 'TYPE', value: (e) => e.experimentType },
  { header: 'STATUS', value: (e) => e.status },
  { header: 'PI', value: (e) => e.pi },
  { header: 'START', value: (e) => e.startDate },
  { header: 'END', value: (e) => e.endDate },
];

/**
 * @example
 * context.emit(experiment, renderExperiment);
 */
export function renderExperiment(experiment: Experiment): string {
  return formatRecord({
    name: experiment.name,
    station: experiment.experimentStation,
    type: experiment.experimentType,
    status: experiment.status,
    description: experiment.description,
    pi: experiment.pi,
    users: experiment.users.map((member) =>
      member.role === 'pi' ? `${member.username} (pi)` : member.username,
    ),
    startDate: experiment.startDate,
    endDate: experiment.endDate,
    storageState: experiment.storageState,
    fileCount: experiment.fileCount,
    fileBytes: experiment.fileBytes,
    dataDirectory: experiment.dataDirectory,
    analysisDirectory: experiment.analysisDirectory,
    systemDirectory: experiment.systemDirectory,
    createdAt: experiment.createdAt,
    updatedAt: experiment.updatedAt,
  });
}

function renderImport(result: ImportResult): string {
  return (['created', 'updated', 'unchanged'] as const)
    .map((outcome) => {
      const names = result[outcome];
      return names.length === 0 ? `${outcome}: 0` : `${outcome}: ${names.length} (${names.join(', ')})`;
    })
    .join('\n');
}

interface AddOptions extends ClientOptions {
  station: string;
  type?: string;
  description?: string;
  users?: string;
  pi?: string;
  startDate?: string;
  endDate?: string;
}

interface ListOptions extends ClientOptions {
  station?: string;
  user?: string;
  status?: 'planned' | 'running' | 'stopped';
  search?: string;
  sort?: ExperimentSort;
  limit: number;
}

type UpdateOptions = ClientOptions &
  Partial<Record<'type' | 'description' | 'startDate' | 'endDate', string>>;

const dateHelp = 'a date (2026-11-21) or timestamp (2026-11-21T08:00:00Z)';

/**
 * @example
 * registerExperimentCommands(program, runtime); // dm experiment add 2026-1-smith --station 8-ID-I --pi alice
 */
export function registerExperimentCommands(program: Command, runtime: Runtime): void {
  const experiment = program
    .command('experiment')
    .description('experiments: registration, life cycle, users');
  const command = (name: string, description: string) =>
    addClientOptions(experiment.command(name).description(description));

  command('add', 'register an experiment and create its storage (admins, station managers)')
    .argument('<name>', 'experiment name, e.g. 2026-1-smith')
    .requiredOption('--station <name>', 'station it runs at')
    .option('--type <name>', 'experiment type')
    .option('--description <text>', 'what it is about')
    .option('--users <list>', 'its users, separated by commas')
    .option('--pi <user>', 'its principal investigator')
    .option('--start-date <date>', dateHelp)
    .option('--end-date <date>', dateHelp)
    .action(async (name: string, options: AddOptions) => {
      const context = createContext(runtime, options);
      const created = await context.client.experiments.create({
        name,
        station: options.station,
        ...(options.type !== undefined && { type: options.type }),
        ...(options.description !== undefined && { description: options.description }),
        ...(options.pi !== undefined && { pi: options.pi }),
        ...(options.users !== undefined && { users: splitUsers(options.users) }),
        ...(options.startDate !== undefined && { startDate: options.startDate }),
        ...(options.endDate !== undefined && { endDate: options.endDate }),
      });
      context.emit(created, renderExperiment);
    });

  command('list', 'list the experiments you may see')
    .option('--station <name>', 'at this station')
    .option('--user <name>', 'with this user as a member')
    .addOption(new Option('--status <status>', 'in this state').choices(['planned', 'running', 'stopped']))
    .option('--search <text>', 'text in the name or description')
    .addOption(
      new Option('--sort <column>', 'order by this column, - first for descending (default name)').choices(
        ['name', 'station', 'status', 'startDate'].flatMap((column) => [column, `-${column}`]),
      ),
    )
    .option('--limit <number>', 'show at most this many', positiveInteger, 100)
    .action(async (options: ListOptions) => {
      const context = createContext(runtime, options);
      const { station, user, status, search, sort } = options;
      await context.list(
        (page) => context.client.experiments.list({ ...page, station, user, status, search, sort }),
        options.limit,
        experimentColumns,
        'experiments',
      );
    });

  command('show', 'show one experiment, with its storage directories')
    .argument('<name>', 'experiment name')
    .action(async (name: string, options: ClientOptions) => {
      const context = createContext(runtime, options);
      context.emit(await context.client.experiments.show(name), renderExperiment);
    });

  command('update', 'change an experiment (an empty value clears a field)')
    .argument('<name>', 'experiment name')
    .option('--type <name>', 'experiment type')
    .option('--description <text>', 'what it is about')
    .option('--start-date <date>', dateHelp)
    .option('--end-date <date>', dateHelp)
    .action(async (name: string, options: UpdateOptions) => {
      const changes: UpdateExperimentInput = {};
      for (const field of ['type', 'description', 'startDate', 'endDate'] as const) {
        if (options[field] !== undefined) changes[field] = orNull(options[field]);
      }
      if (Object.keys(changes).length === 0) {
        throw new UsageError('nothing to change: give --type, --description, --start-date or --end-date');
      }
      const context = createContext(runtime, options);
      context.emit(await context.client.experiments.update(name, changes), renderExperiment);
    });

  for (const [verb, description] of [
    ['start', 'mark an experiment running (sets its start date if empty)'],
    ['stop', 'mark an experiment stopped (sets its end date)'],
  ] as const) {
    command(verb, description)
      .argument('<name>', 'experiment name')
      .action(async (name: string, options: ClientOptions) => {
        const context = createContext(runtime, options);
        context.emit(await context.client.experiments[verb](name), renderExperiment);
      });
  }

  command('delete', 'delete an experiment and its (empty) storage tree')
    .argument('<name>', 'experiment name')
    .option('--yes', 'do not ask for confirmation')
    .action(async (name: string, options: ClientOptions & { yes?: boolean }) => {
      const context = createContext(runtime, options);
      if (!options.yes) {
        if (!runtime.stdin.isTTY) {
          throw new UsageError(`refusing to delete experiment "${name}" without confirmation: add --yes`);
        }
        if (!(await confirm(runtime, `Delete experiment "${name}" and its storage tree? [y/N] `))) {
          throw new CliError('not deleted');
        }
      }
      await context.client.experiments.delete(name);
      context.say(`Deleted experiment ${name}`);
    });

  command('add-user', 'add a user to an experiment, or change their role')
    .argument('<name>', 'experiment name')
    .argument('<user>', 'username')
    .addOption(
      new Option('--role <role>', 'pi or user (a new PI makes the old one a user)')
        .choices(['pi', 'user'])
        .makeOptionMandatory(),
    )
    .action(async (name: string, username: string, options: ClientOptions & { role: 'pi' | 'user' }) => {
      const context = createContext(runtime, options);
      context.emit(await context.client.experiments.addUser(name, username, options.role), renderExperiment);
    });

  command('remove-user', 'remove a user from an experiment')
    .argument('<name>', 'experiment name')
    .argument('<user>', 'username')
    .action(async (name: string, username: string, options: ClientOptions) => {
      const context = createContext(runtime, options);
      context.emit(await context.client.experiments.removeUser(name, username), renderExperiment);
    });

  command('import', 'create or update experiments from a JSON or CSV file, all or nothing')
    .argument('<file>', 'JSON (array or {"experiments": [...]}) or CSV with a header row; - reads stdin')
    .addHelpText(
      'after',
      '\nCSV columns: name, station, type, description, pi, users (separated by ";", "," or spaces),\n' +
        'startDate, endDate (or start_date, end_date). Importing the same file again changes nothing.',
    )
    .action(async (file: string, options: ClientOptions) => {
      const context = createContext(runtime, options);
      const proposals = readProposalFile(file);
      let result: ImportResult;
      try {
        result = await context.client.experiments.import(proposals.experiments);
      } catch (error) {
        throw error instanceof ApiError ? pointAtRows(error, file, proposals.origins) : error;
      }
      context.emit(result, renderImport);
    });
}

/** The server names `experiments/3/pi`; the person fixing the file needs `line 5: pi`. */
function pointAtRows(error: ApiError, file: string, origins: readonly string[]): ApiError {
  const problems = error.fieldProblems;
  if (problems.length === 0) return error;
  const fields = problems.map((problem) => ({
    ...problem,
    field: describeImportField(problem.field, origins),
  }));
  const message = `the server refused ${file === '-' ? 'stdin' : file}; nothing was imported`;
  return new ApiError(error.status, error.code, message, { ...error.details, fields });
}
