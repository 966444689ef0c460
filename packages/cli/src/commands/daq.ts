/** `dm daq`: monitor a beamline directory and take each new file into an experiment (APS: dm-start-daq). */
import { resolve } from 'node:path';
import type { Daq, DaqStatus } from '@photon-dm/client';
import { type Command, Option } from 'commander';
import {
  addClientOptions,
  type ClientOptions,
  createContext,
  positiveInteger,
  type Runtime,
  UsageError,
} from '../context.ts';
import { duration, formatDuration, positiveDuration } from '../duration.ts';
import { type Column, formatRecord } from '../output.ts';
import { formatBytes } from '../progress.ts';

const statuses: DaqStatus[] = ['pending', 'running', 'done', 'failed', 'aborted'];

/**
 * Rates with three significant digits: a slow detector writes 0.0167 files/s (one a minute), which
 * `toFixed(1)` would show as a stalled 0.0.
 *
 * @example
 * formatRate(0.016666) // '0.0167'
 */
export function formatRate(perSecond: number): string {
  return String(Number(perSecond.toPrecision(3)));
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

const daqColumns: Column<Daq>[] = [
  { header: 'ID', value: (d) => d.id },
  { header: 'EXPERIMENT', value: (d) => d.experimentName },
  { header: 'STATUS', value: (d) => d.status },
  { header: 'FILES', value: (d) => `${d.nProcessedFiles}/${d.nFiles}` },
  { header: 'ERRORS', value: (d) => d.nProcessingErrors },
  { header: 'RATE', value: (d) => `${formatRate(d.filesPerSecond)}/s` },
  { header: 'DIRECTORY', value: (d) => d.dataDirectory },
];

function summary(daq: Daq): string {
  const workflowArgs = Object.entries(daq.workflowArgs).map(([key, value]) => `${key}=${value}`);
  return formatRecord({
    id: daq.id,
    experiment: daq.experimentName,
    status: daq.status,
    dataDirectory: daq.dataDirectory,
    monitoredBy: daq.mode === 'agent' ? `agent ${daq.agentName}` : 'the server',
    destDirectory: daq.destDirectory || '(data directory)',
    skipPatterns: daq.skipPatterns,
    settleTime: formatDuration(daq.settleSeconds),
    newOnly: daq.newOnly,
    overwrite: daq.overwrite,
    workflow: daq.workflow === null ? null : [daq.workflow, ...workflowArgs].join(' '),
    files: `${daq.nProcessedFiles} taken of ${daq.nFiles} seen`,
    bytes: formatBytes(daq.nBytes),
    rate: `${formatRate(daq.filesPerSecond)} files/s, ${formatBytes(daq.bytesPerSecond)}/s`,
    errors: daq.nProcessingErrors,
    lastError: daq.lastError,
    startTime: daq.startTime,
    // No stop time means the DAQ runs until someone stops it: worth saying rather than showing "-".
    stopTime: daq.stopTime ?? 'when stopped',
    endTime: daq.endTime,
    createdBy: daq.createdBy,
  });
}

// No default `[]`: commander would print "(default: [])" in the help.
const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `--skip-pattern` values as the API takes them: each may hold several globs separated by commas, as
 * APS' dm-start-daq accepts them, so `--skip-pattern '*.tmp,.*'` and two flags mean the same.
 *
 * @example
 * splitSkipPatterns(['*.tmp,.*', '*.lock']) // ['*.tmp', '.*', '*.lock']
 */
export function splitSkipPatterns(values: readonly string[]): string[] {
  return values.flatMap((value) => value.split(',')).flatMap((glob) => (glob.trim() ? [glob.trim()] : []));
}

/**
 * `--workflow-arg key=value` values; values stay strings because the workflow decides what they mean.
 *
 * @example
 * parseWorkflowArgs(['mode=fast', 'frames=100']) // { mode: 'fast', frames: '100' }
 */
export function parseWorkflowArgs(values: readonly string[]): Record<string, string> {
  const workflowArgs: Record<string, string> = {};
  for (const value of values) {
    const index = value.indexOf('=');
    if (index <= 0) throw new UsageError(`--workflow-arg "${value}" is not key=value`);
    workflowArgs[value.slice(0, index)] = value.slice(index + 1);
  }
  return workflowArgs;
}

interface StartOptions extends ClientOptions {
  experiment: string;
  dataDirectory: string;
  destDirectory?: string;
  skipPattern?: string[];
  settleTime?: number;
  workflow?: string;
  workflowArg?: string[];
  duration?: number;
  newOnly?: boolean;
  overwrite?: boolean;
  agent?: string;
}

/**
 * @example
 * registerDaqCommands(program, runtime); // dm daq start --experiment E --data-directory /detector/run-7
 */
export function registerDaqCommands(program: Command, runtime: Runtime): void {
  const daq = program
    .command('daq')
    .description('monitor a directory and take its new files into an experiment');

  addClientOptions(
    daq
      .command('start')
      .description('start monitoring a directory on the server or a DAQ agent (staff); prints the DAQ id')
      .requiredOption('--experiment <name>', 'the experiment')
      .requiredOption(
        '--data-directory <path>',
        'the directory to monitor, as the server (or the agent) sees it',
      )
      .option('--dest-directory <path>', 'where under the experiment data directory')
      .option('--skip-pattern <globs>', 'never take files matching, e.g. "*.tmp,.*"; repeatable', collect)
      .option(
        '--settle-time <duration>',
        "take a file once its size and time are unchanged this long, e.g. 5s (default: the server's)",
        duration,
      )
      .option('--workflow <name>', 'the workflow to run on each file taken')
      .option('--workflow-arg <key=value>', 'an argument for the workflow; repeatable', collect)
      .option('--duration <duration>', 'stop by itself after this long, e.g. 12h or 2d', positiveDuration)
      .option('--new-only', 'leave alone the files already there when the DAQ starts')
      .option('--overwrite', 'replace a file already in the experiment under the same path')
      .option(
        '--agent <name>',
        'monitor the directory on the machine where "dm daq-agent --name NAME" runs (default: the server)',
      ),
  ).action(async (options: StartOptions) => {
    if (options.workflowArg !== undefined && options.workflow === undefined) {
      throw new UsageError('--workflow-arg needs --workflow');
    }
    // Usage errors first: a bad command line should say so even without a server to send it to.
    const skipPatterns = splitSkipPatterns(options.skipPattern ?? []);
    const workflowArgs = parseWorkflowArgs(options.workflowArg ?? []);
    const context = createContext(runtime, options);
    const created = await context.client.daqs.create({
      experiment: options.experiment,
      dataDirectory: resolve(options.dataDirectory),
      ...(options.destDirectory !== undefined && { destDirectory: options.destDirectory }),
      ...(skipPatterns.length > 0 && { skipPatterns }),
      ...(options.settleTime !== undefined && { settleSeconds: options.settleTime }),
      ...(options.duration !== undefined && { durationSeconds: options.duration }),
      ...(options.newOnly && { newOnly: true }),
      ...(options.overwrite && { overwrite: true }),
      ...(options.agent !== undefined && { agent: options.agent }),
      ...(options.workflow !== undefined && { workflow: options.workflow, workflowArgs }),
    });
    context.emit(created, (d) => `daq ${d.id} started on ${d.dataDirectory}: dm daq show ${d.id}`);
  });

  addClientOptions(
    daq
      .command('list')
      .description('list DAQs, newest first')
      .option('--experiment <name>', 'only this experiment')
      .addOption(new Option('--status <status>', 'only DAQs in this state').choices(statuses))
      .option('--limit <number>', 'show at most this many', positiveInteger, 100),
  ).action(async (options: ClientOptions & { experiment?: string; status?: DaqStatus; limit: number }) => {
    const context = createContext(runtime, options);
    const query = {
      ...(options.experiment && { experiment: options.experiment }),
      ...(options.status && { status: options.status }),
    };
    await context.list(
      (page) => context.client.daqs.list({ ...query, ...page }),
      options.limit,
      daqColumns,
      'DAQs',
    );
  });

  addClientOptions(
    daq
      .command('show')
      .description('one DAQ, its counters, rates and last error')
      .argument('<id>', 'DAQ id', positiveInteger),
  ).action(async (id: number, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.daqs.show(id), summary);
  });

  addClientOptions(
    daq.command('stop').description('stop a DAQ (staff)').argument('<id>', 'DAQ id', positiveInteger),
  ).action(async (id: number, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(
      await context.client.daqs.stop(id),
      (d) =>
        `daq ${d.id} ${d.status}: ${count(d.nProcessedFiles, 'file')} taken, ${count(d.nProcessingErrors, 'error')}`,
    );
  });
}
