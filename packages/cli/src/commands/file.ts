/** `dm file`: the catalog of an experiment's files (APS: dm-list-experiment-files, dm-get-experiment-file). */
import type { CatalogFile } from '@photon-dm/client';
import type { Command } from 'commander';
import {
  addClientOptions,
  CliError,
  type ClientOptions,
  createContext,
  positiveInteger,
  type Runtime,
  UsageError,
} from '../context.ts';
import { type Column, formatRecord, formatTable } from '../output.ts';
import { confirm } from '../prompt.ts';

const fileColumns: Column<CatalogFile>[] = [
  { header: 'PATH', value: (f) => f.experimentFilePath },
  { header: 'SIZE', value: (f) => f.fileSize },
  { header: 'MODIFIED', value: (f) => f.fileModificationTime },
  { header: 'MD5', value: (f) => f.md5Sum },
];

interface SearchOptions extends ClientOptions {
  experiment: string;
  pathGlob?: string;
  where: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

function addSearchOptions(command: Command): Command {
  return command
    .requiredOption('--experiment <name>', 'the experiment')
    .option('--path-glob <glob>', 'only paths matching, e.g. "scan_*/*.h5"')
    .option(
      '--where <condition>',
      'key op value (op: = != < <= > >= ~) or "key exists"; repeat for AND',
      collect,
      [],
    );
}

const search = (options: SearchOptions) => ({
  ...(options.pathGlob !== undefined && { pathGlob: options.pathGlob }),
  ...(options.where.length > 0 && { where: options.where }),
});

/** `key=value` as typed: numbers and true/false keep their type, `key=` removes the key. */
export function parseAssignments(assignments: string[]): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const index = assignment.indexOf('=');
    if (index <= 0) throw new UsageError(`"${assignment}" is not key=value`);
    const key = assignment.slice(0, index);
    const raw = assignment.slice(index + 1);
    metadata[key] =
      raw === ''
        ? null
        : raw === 'true'
          ? true
          : raw === 'false'
            ? false
            : Number.isFinite(Number(raw))
              ? Number(raw)
              : raw;
  }
  return metadata;
}

/**
 * @example
 * registerFileCommands(program, runtime); // dm file list --experiment E --where 'sample=lysozyme'
 */
export function registerFileCommands(program: Command, runtime: Runtime): void {
  const file = program.command('file').description("an experiment's cataloged files");

  addClientOptions(
    addSearchOptions(file.command('list').description('list and search files'))
      .option('--sort <key>', 'path, size or mtime; a leading - sorts descending', 'path')
      .option('--limit <number>', 'show at most this many', positiveInteger, 100),
  ).action(async (options: SearchOptions & { sort: string; limit: number }) => {
    const context = createContext(runtime, options);
    const query = { ...search(options), sort: options.sort as 'path' };
    await context.list(
      (page) => context.client.files.list(options.experiment, { ...query, ...page }),
      options.limit,
      fileColumns,
      'files',
    );
  });

  addClientOptions(addSearchOptions(file.command('count').description('count files, exactly'))).action(
    async (options: SearchOptions) => {
      const context = createContext(runtime, options);
      const count = await context.client.files.count(options.experiment, search(options));
      context.emit({ count }, (result) => String(result.count));
    },
  );

  addClientOptions(
    file
      .command('keys')
      .description('the metadata keys of the files, with counts')
      .requiredOption('--experiment <name>', 'the experiment'),
  ).action(async (options: ClientOptions & { experiment: string }) => {
    const context = createContext(runtime, options);
    const keys = await context.client.files.keys(options.experiment);
    context.emit({ items: keys }, (result) =>
      result.items.length === 0
        ? 'no metadata'
        : formatTable(result.items, [
            { header: 'KEY', value: (k) => k.key },
            { header: 'FILES', value: (k) => k.count },
          ]),
    );
  });

  addClientOptions(
    file
      .command('show')
      .description('one file, with its metadata')
      .argument('<path>', 'path in the experiment')
      .requiredOption('--experiment <name>', 'the experiment'),
  ).action(async (path: string, options: ClientOptions & { experiment: string }) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.files.show(options.experiment, path), (f) => {
      const { metadata, ...fields } = f;
      const lines = Object.entries(metadata).map(
        ([key, value]) => `  ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
      );
      return `${formatRecord(fields)}${lines.length > 0 ? `\nmetadata:\n${lines.join('\n')}` : ''}`;
    });
  });

  addClientOptions(
    file
      .command('update')
      .description('set metadata keys (key=value; key= removes)')
      .argument('<path>', 'path in the experiment')
      .argument('<assignments...>', 'key=value pairs')
      .requiredOption('--experiment <name>', 'the experiment'),
  ).action(async (path: string, assignments: string[], options: ClientOptions & { experiment: string }) => {
    const context = createContext(runtime, options);
    const updated = await context.client.files.update(
      options.experiment,
      path,
      parseAssignments(assignments),
    );
    context.emit(updated, (f) => `updated ${f.experimentFilePath}`);
  });

  addClientOptions(
    file
      .command('delete')
      .description('remove files from storage and the catalog (staff)')
      .requiredOption('--experiment <name>', 'the experiment')
      .requiredOption('--path-pattern <regex>', 'a regular expression over paths')
      .option('--yes', 'do not ask for confirmation'),
  ).action(async (options: ClientOptions & { experiment: string; pathPattern: string; yes?: boolean }) => {
    const context = createContext(runtime, options);
    let pattern: RegExp;
    try {
      pattern = new RegExp(options.pathPattern);
    } catch (error) {
      throw new UsageError(`--path-pattern: ${error instanceof Error ? error.message : error}`);
    }
    // Matched here, not on the server: a user's regular expression never runs inside the server.
    const paths: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await context.client.files.list(options.experiment, {
        limit: 1000,
        ...(cursor && { cursor }),
      });
      paths.push(...page.items.map((f) => f.experimentFilePath).filter((p) => pattern.test(p)));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (paths.length === 0) {
      context.emit({ deleted: 0 }, () => 'no file matches');
      return;
    }
    if (!options.yes) {
      if (!runtime.stdin.isTTY) throw new UsageError(`${paths.length} files match: add --yes to delete them`);
      if (
        !(await confirm(
          runtime,
          `Delete ${paths.length} files of ${options.experiment} from storage? [y/N] `,
        ))
      ) {
        throw new CliError('nothing deleted');
      }
    }
    let deleted = 0;
    for (let i = 0; i < paths.length; i += 1000)
      deleted += await context.client.files.delete(options.experiment, paths.slice(i, i + 1000));
    context.emit({ deleted }, (result) => `deleted ${result.deleted} files`);
  });
}
