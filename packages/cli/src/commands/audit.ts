/** `dm audit`: who changed what. */
import type { AuditEvent } from '@photon-dm/client';
import type { Command } from 'commander';
import {
  addClientOptions,
  type ClientOptions,
  createContext,
  positiveInteger,
  type Runtime,
} from '../context.ts';
import type { Column } from '../output.ts';

const auditColumns: Column<AuditEvent>[] = [
  { header: 'TIME', value: (e) => e.occurredAt },
  { header: 'ACTOR', value: (e) => e.actor },
  { header: 'ACTION', value: (e) => e.action },
  { header: 'TARGET', value: (e) => `${e.targetType} ${e.targetName}` },
  { header: 'STATION', value: (e) => e.stationName },
  { header: 'EXPERIMENT', value: (e) => e.experimentName },
  { header: 'DETAILS', value: (e) => (Object.keys(e.details).length === 0 ? null : e.details) },
];

interface AuditOptions extends ClientOptions {
  experiment?: string;
  user?: string;
  action?: string;
  limit: number;
}

/**
 * @example
 * registerAuditCommands(program, runtime); // dm audit list --experiment 2026-1-smith
 */
export function registerAuditCommands(program: Command, runtime: Runtime): void {
  const audit = program.command('audit').description('the record of changes');

  addClientOptions(
    audit
      .command('list')
      .description('list changes, newest first (admins: all; station managers: their stations)')
      .option('--experiment <name>', 'changes to this experiment')
      .option('--user <name>', 'changes made by this user')
      .option('--action <action>', 'one kind of change, e.g. experiment.create')
      .option('--limit <number>', 'show at most this many', positiveInteger, 100),
  ).action(async (options: AuditOptions) => {
    const context = createContext(runtime, options);
    const { experiment, user, action } = options;
    await context.list(
      (page) => context.client.audit.list({ ...page, experiment, user, action }),
      options.limit,
      auditColumns,
      'events',
    );
  });
}
