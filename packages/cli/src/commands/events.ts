/** `dm events`: follow what happens (jobs, DAQs, uploads, files) live, as the portal does. */
import type { EventType, LiveEvent } from '@photon-dm/client';
import type { Command } from 'commander';
import {
  addClientOptions,
  type ClientOptions,
  createContext,
  positiveInteger,
  type Runtime,
} from '../context.ts';
import { formatValue } from '../output.ts';

interface EventsOptions extends ClientOptions {
  type: string[];
  experiment?: string;
  subject?: string;
  after?: number;
  count?: number;
}

/**
 * One line per event for people: time, type, experiment, subject, then the payload as `key=value`.
 *
 * @example
 * formatEventLine(event) // '2026-11-21T22:53:36.120Z  daq.progress  xpcs-1  12  status=running nProcessedFiles=3'
 */
export function formatEventLine(event: LiveEvent): string {
  const { data } = event;
  const payload = Object.entries(data.payload)
    .map(([key, value]) => `${key}=${formatValue(value)}`)
    .join(' ');
  return [data.createdAt, event.type, data.experimentName ?? '-', data.subjectId ?? '-', payload]
    .join('  ')
    .trimEnd();
}

/**
 * @example
 * registerEventCommands(program, runtime); // dm events --type daq.progress --experiment 2026-1-smith
 */
export function registerEventCommands(program: Command, runtime: Runtime): void {
  addClientOptions(
    program
      .command('events')
      .description('print events as they happen, until Ctrl-C (or --count); reconnects by itself')
      .option(
        '--type <type>',
        'only this type (repeat for several): job.status, job.stage, file.cataloged, daq.status, daq.progress, ' +
          'upload.status, upload.progress',
        (value: string, previous: string[]) => [...previous, value],
        [],
      )
      .option('--experiment <name>', 'only events of this experiment')
      .option('--subject <id>', 'only events about this job, DAQ or upload id (or file path)')
      .option('--after <id>', 'first replay the stored events after this event id', (text) =>
        text === '0' ? 0 : positiveInteger(text),
      )
      .option('--count <number>', 'exit after this many events', positiveInteger),
  ).action(async (options: EventsOptions) => {
    const context = createContext(runtime, options);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let printed = 0;
    if (!context.json && options.count === undefined)
      runtime.stderr.write(`following events of ${context.server} (Ctrl-C stops)\n`);
    try {
      const events = context.client.events.stream({
        types: options.type.length > 0 ? (options.type as EventType[]) : undefined,
        experiment: options.experiment,
        subject: options.subject,
        after: options.after,
        signal: controller.signal,
      });
      for await (const event of events) {
        // With --json, one JSON object per line (NDJSON), so `dm events --json | jq` reads it as it comes.
        runtime.stdout.write(
          context.json ? `${JSON.stringify(event.data)}\n` : `${formatEventLine(event)}\n`,
        );
        printed++;
        if (options.count !== undefined && printed >= options.count) break;
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
}
