/** `dm upload`: take a directory that already exists into an experiment (APS: dm-upload). */
import { resolve } from 'node:path';
import type { Upload } from '@photon-dm/client';
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
import { type Column, formatRecord } from '../output.ts';
import { renderProgress } from '../progress.ts';

const uploadColumns: Column<Upload>[] = [
  { header: 'ID', value: (u) => u.id },
  { header: 'EXPERIMENT', value: (u) => u.experimentName },
  { header: 'STATUS', value: (u) => u.status },
  { header: 'FILES', value: (u) => `${u.nProcessedFiles}/${u.nFiles}` },
  { header: 'ERRORS', value: (u) => u.nProcessingErrors },
  { header: 'DIRECTORY', value: (u) => u.dataDirectory },
];

const finished = new Set(['done', 'failed', 'aborted']);

function summary(upload: Upload): string {
  return formatRecord({
    id: upload.id,
    experiment: upload.experimentName,
    status: upload.status,
    dataDirectory: upload.dataDirectory,
    destDirectory: upload.destDirectory || '(data directory)',
    files: `${upload.nProcessedFiles} of ${upload.nFiles} (${upload.nSkippedFiles} already there)`,
    bytes: `${upload.nProcessedBytes} of ${upload.nBytes}`,
    errors: upload.nProcessingErrors,
    lastError: upload.lastError,
    startTime: upload.startTime,
    endTime: upload.endTime,
  });
}

/**
 * @example
 * registerUploadCommands(program, runtime); // dm upload --experiment E --data-directory /data/run7 --wait
 */
export function registerUploadCommands(program: Command, runtime: Runtime): void {
  const upload = addClientOptions(
    program
      .command('upload')
      .description('take an existing directory on the server into an experiment (staff); list|show|stop')
      .option('--experiment <name>', 'the experiment')
      .option('--data-directory <path>', 'the directory to take, as the server sees it')
      .option('--dest-directory <path>', 'where under the experiment data directory')
      .option('--reprocess', 'take again files that are already cataloged')
      .option('--wait', 'follow the upload until it ends; exit 1 unless it is done'),
  );
  upload.action(
    async (
      options: ClientOptions & {
        experiment?: string;
        dataDirectory?: string;
        destDirectory?: string;
        reprocess?: boolean;
        wait?: boolean;
      },
    ) => {
      if (!options.experiment || !options.dataDirectory) {
        throw new UsageError(
          'dm upload needs --experiment and --data-directory (or a subcommand: list, show, stop)',
        );
      }
      const context = createContext(runtime, options);
      let current = await context.client.uploads.create({
        experiment: options.experiment,
        dataDirectory: resolve(options.dataDirectory),
        ...(options.destDirectory !== undefined && { destDirectory: options.destDirectory }),
        ...(options.reprocess && { reprocess: true }),
      });
      if (!options.wait) {
        context.emit(current, (u) => `upload ${u.id} started: dm upload show ${u.id}`);
        return;
      }
      const live = !context.json && (runtime.stderr as { isTTY?: boolean }).isTTY === true;
      const started = Date.now();
      while (!finished.has(current.status)) {
        if (live) runtime.stderr.write(`\r${renderProgress(current, Date.now() - started)}`);
        await new Promise((resolveWait) => setTimeout(resolveWait, 500));
        current = await context.client.uploads.show(current.id);
      }
      if (live) runtime.stderr.write(`\r${renderProgress(current, Date.now() - started)}\n`);
      context.emit(current, summary);
      if (current.status !== 'done')
        throw new CliError(`upload ${current.id} ${current.status}: ${current.lastError ?? 'stopped'}`);
    },
  );

  addClientOptions(
    upload
      .command('list')
      .description('list uploads, newest first')
      .option('--experiment <name>', 'only this experiment')
      .option('--status <status>', 'pending, running, done, failed or aborted')
      .option('--limit <number>', 'show at most this many', positiveInteger, 100),
  ).action(
    async (options: ClientOptions & { experiment?: string; status?: Upload['status']; limit: number }) => {
      const context = createContext(runtime, options);
      const query = {
        ...(options.experiment && { experiment: options.experiment }),
        ...(options.status && { status: options.status }),
      };
      await context.list(
        (page) => context.client.uploads.list({ ...query, ...page }),
        options.limit,
        uploadColumns,
        'uploads',
      );
    },
  );

  addClientOptions(
    upload
      .command('show')
      .description('one upload and its progress')
      .argument('<id>', 'upload id', positiveInteger),
  ).action(async (id: number, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.uploads.show(id), summary);
  });

  addClientOptions(
    upload
      .command('stop')
      .description('stop an upload (staff)')
      .argument('<id>', 'upload id', positiveInteger),
  ).action(async (id: number, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.uploads.stop(id), (u) => `upload ${u.id} ${u.status}`);
  });
}
