/**
 * The adapter of a site, from its record: which kinds this server can reach so far, and how. A kind (or a
 * way of reaching one) without an adapter yet is refused with 422 `site_unusable`, never guessed at.
 */
import { join } from 'node:path';
import type { SiteRow } from '../db/tables.ts';
import { AppError } from '../errors/app-error.ts';
import { sshKnownHostsFileName } from '../system/private-files.ts';
import type { SiteAdapter } from './adapter.ts';
import { type CommandRunner, createLocalCommandRunner } from './commands.ts';
import { createPbsCliAdapter } from './pbs-cli.ts';
import type { SiteConnection, SiteDefaults } from './schemas.ts';
import { createSlurmCliAdapter, type SlurmDefaults } from './slurm-cli.ts';
import { createSshCommandRunner } from './ssh-runner.ts';

/** Where the site's commands run: on this host, or on its login node over SSH (`connection.host`). */
function runnerFor(connection: SiteConnection, dataDir: string): CommandRunner {
  if (connection.host === undefined) return createLocalCommandRunner();
  return createSshCommandRunner({
    host: connection.host,
    ...(connection.identityFile !== undefined && { identityFile: connection.identityFile }),
    knownHostsFile: join(dataDir, sshKnownHostsFileName),
  });
}

export function adapterFor(site: SiteRow, options: { dataDir: string }): SiteAdapter {
  const connection = JSON.parse(site.connection) as SiteConnection;
  const defaults = JSON.parse(site.defaults) as SiteDefaults;
  if (site.kind === 'slurm' && connection.url === undefined)
    return createSlurmCliAdapter(runnerFor(connection, options.dataDir), {
      defaults: batchDefaults(defaults),
    });
  if (site.kind === 'pbs') {
    // PBS has no QOS: a site naming one would have every stage refused by qsub, so it is refused here.
    if (defaults.qos !== undefined)
      throw new AppError('site_unusable', 'PBS has no QOS: remove defaults.qos or name a queue instead', {
        site: site.name,
      });
    return createPbsCliAdapter(runnerFor(connection, options.dataDir), { defaults: batchDefaults(defaults) });
  }
  const how = connection.url !== undefined ? ' through its API' : '';
  throw new AppError('site_unusable', `this server cannot reach ${site.kind} sites${how} yet`, {
    site: site.name,
  });
}

/** The site's defaults as a stage's resources and attributes (Slurm and PBS alike). */
function batchDefaults(defaults: SiteDefaults): SlurmDefaults {
  const { nodes, gpus, walltime, queue, account, reservation, qos } = defaults;
  return {
    resources: { ...(nodes !== undefined && { nodes }), ...(gpus !== undefined && { gpus }) },
    attributes: {
      ...(walltime !== undefined && { walltimeSeconds: walltime }),
      ...(queue !== undefined && { queue }),
      ...(account !== undefined && { account }),
      ...(reservation !== undefined && { reservation }),
      ...(qos !== undefined && { qos }),
    },
  };
}
