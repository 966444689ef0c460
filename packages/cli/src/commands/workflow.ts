/**
 * `dm workflow`: store, check and look at workflow definitions (APS: dm-upsert-workflow, dm-list-workflows,
 * dm-get-workflow, dm-delete-workflow).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Workflow, WorkflowFormat, WorkflowSource, WorkflowValidation } from '@photon-dm/client';
import type { Command } from 'commander';
import {
  addClientOptions,
  CliError,
  type ClientOptions,
  type CommandContext,
  createContext,
  positiveInteger,
  type Runtime,
  UsageError,
} from '../context.ts';
import { type Column, formatRecord, formatTable } from '../output.ts';
import { confirm } from '../prompt.ts';

const workflowColumns: Column<Workflow>[] = [
  { header: 'OWNER', value: (w) => w.owner },
  { header: 'NAME', value: (w) => w.name },
  { header: 'REVISION', value: (w) => w.revision },
  { header: 'STAGES', value: (w) => Object.keys(w.stages).length },
  { header: 'UPDATED', value: (w) => w.updated },
  { header: 'DESCRIPTION', value: (w) => w.description },
];

/**
 * The format of a workflow file from its name; `--py-spec` files are Python whatever their name.
 *
 * @example
 * workflowFormat('xpcs.yml') // 'yaml'
 */
export function workflowFormat(file: string, pythonSpec: boolean): WorkflowFormat {
  if (pythonSpec) return 'python';
  switch (extname(file).toLowerCase()) {
    case '.json':
      return 'json';
    case '.yaml':
    case '.yml':
      return 'yaml';
    case '.py':
      return 'python';
    default:
      throw new UsageError(
        `cannot tell the format of "${file}": name it .json, .yaml or .yml, or use --py-spec`,
      );
  }
}

interface SourceOptions {
  file?: string;
  pySpec?: string;
  allowRoot?: boolean;
}

/** The file as written, for the server to parse: its problems then name lines the author can find. */
function readSource(options: SourceOptions): WorkflowSource {
  const file = options.file ?? options.pySpec;
  if (file === undefined || (options.file !== undefined && options.pySpec !== undefined)) {
    throw new UsageError('give the workflow as --file F.json|F.yaml or as --py-spec F.py');
  }
  const format = workflowFormat(file, options.pySpec !== undefined);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return options.allowRoot ? { format, text, allowRoot: true } : { format, text };
}

/** Stages in the order they run (the sorted order of their keys), one line each. */
function renderWorkflow(workflow: Workflow): string {
  const record = formatRecord({
    owner: workflow.owner,
    name: workflow.name,
    revision: workflow.revision,
    description: workflow.description,
    userAccount: workflow.userAccount,
    version: workflow.version,
    secretEnv: workflow.secretEnv,
    createdBy: workflow.createdBy,
    updated: workflow.updated,
  });
  const stages = Object.entries(workflow.stages)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, stage]) => ({ key, command: stage.command }));
  const table = formatTable(stages, [
    { header: 'STAGE', value: (s) => s.key },
    { header: 'COMMAND', value: (s) => s.command },
  ]);
  return `${record}\n\n${table}`;
}

function renderValidation(result: WorkflowValidation): string {
  if (result.valid) return `valid; stages run in this order: ${result.stageOrder.join(', ')}`;
  const count = result.problems.length;
  return [
    `invalid: ${count} problem${count === 1 ? '' : 's'}`,
    ...result.problems.map((problem) => `  ${problem.path || '(top)'}: ${problem.message}`),
  ].join('\n');
}

/** `--owner`, or the caller's own name space. */
async function ownerOf(context: CommandContext, owner: string | undefined): Promise<string> {
  return owner ?? (await context.client.whoami()).username;
}

const sourceOptions = (command: Command) =>
  command
    .option('--file <path>', 'the workflow as JSON (.json) or YAML (.yaml, .yml)')
    .option('--py-spec <path>', 'the workflow as a Python dict, as APS users write them')
    .option(
      '--allow-root',
      'admins: let this workflow run as userAccount root (the server must allow it: DM_ALLOW_ROOT_STAGES)',
    );

/**
 * @example
 * registerWorkflowCommands(program, runtime); // dm workflow upsert --file example-01.json
 */
export function registerWorkflowCommands(program: Command, runtime: Runtime): void {
  const workflow = program.command('workflow').description('store and look at workflow definitions');

  addClientOptions(
    sourceOptions(
      workflow.command('upsert').description('create a workflow or replace it with a new revision'),
    ),
  ).action(async (options: ClientOptions & SourceOptions) => {
    const source = readSource(options);
    const context = createContext(runtime, options);
    const stored = await context.client.workflows.upsert(source);
    context.emit(stored, (w) => `workflow ${w.owner}/${w.name} revision ${w.revision} stored`);
  });

  addClientOptions(
    sourceOptions(workflow.command('validate').description('list every problem of a workflow file')),
  ).action(async (options: ClientOptions & SourceOptions) => {
    const source = readSource(options);
    const context = createContext(runtime, options);
    const result = await context.client.workflows.validate(source);
    context.emit(result, renderValidation);
    // The problems are on stdout already; the exit code tells a script (or CI) that the file needs work.
    if (!result.valid) throw new CliError(`the workflow has ${result.problems.length} problem(s)`);
  });

  addClientOptions(
    workflow
      .command('list')
      .description('list workflows')
      .option('--owner <name>', 'only this owner')
      .option('--limit <number>', 'show at most this many', positiveInteger, 100),
  ).action(async (options: ClientOptions & { owner?: string; limit: number }) => {
    const context = createContext(runtime, options);
    const query = options.owner === undefined ? {} : { owner: options.owner };
    await context.list(
      (page) => context.client.workflows.list({ ...query, ...page }),
      options.limit,
      workflowColumns,
      'workflows',
    );
  });

  addClientOptions(
    workflow
      .command('show')
      .description('a workflow and its stages in the order they run')
      .argument('<name>', 'workflow name')
      .option('--owner <name>', "the workflow's owner (default: you)")
      .option('--revision <number>', 'an earlier revision', positiveInteger),
  ).action(async (name: string, options: ClientOptions & { owner?: string; revision?: number }) => {
    const context = createContext(runtime, options);
    const owner = await ownerOf(context, options.owner);
    context.emit(await context.client.workflows.show(owner, name, options.revision), renderWorkflow);
  });

  addClientOptions(
    workflow
      .command('delete')
      .description('delete a workflow (jobs keep the revision they ran)')
      .argument('<name>', 'workflow name')
      .option('--owner <name>', "the workflow's owner (default: you)")
      .option('--yes', 'do not ask for confirmation'),
  ).action(async (name: string, options: ClientOptions & { owner?: string; yes?: boolean }) => {
    const context = createContext(runtime, options);
    const owner = await ownerOf(context, options.owner);
    if (!options.yes) {
      if (!runtime.stdin.isTTY) {
        throw new UsageError(
          `refusing to delete workflow "${owner}/${name}" without confirmation: add --yes`,
        );
      }
      if (!(await confirm(runtime, `Delete workflow "${owner}/${name}"? [y/N] `))) {
        throw new CliError('not deleted');
      }
    }
    await context.client.workflows.delete(owner, name);
    context.say(`Deleted workflow ${owner}/${name}`);
  });
}
