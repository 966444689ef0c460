/**
 * The adapter of a site, from its record: which kinds this server can reach so far, and how. A kind (or a
 * way of reaching one) without an adapter yet is refused with 422 `site_unusable`, never guessed at.
 */
import type { SiteRow } from '../db/tables.ts';
import { AppError } from '../errors/app-error.ts';
import type { SiteAdapter } from './adapter.ts';
import { createLocalCommandRunner } from './commands.ts';
import type { SiteConnection, SiteDefaults } from './schemas.ts';
import { createSlurmCliAdapter, type SlurmDefaults } from './slurm-cli.ts';

export function adapterFor(site: SiteRow): SiteAdapter {
  const connection = JSON.parse(site.connection) as SiteConnection;
  const defaults = JSON.parse(site.defaults) as SiteDefaults;
  if (site.kind === 'slurm' && connection.host === undefined && connection.url === undefined)
    return createSlurmCliAdapter(createLocalCommandRunner(), { defaults: slurmDefaults(defaults) });
  const how =
    connection.host !== undefined ? ' over SSH' : connection.url !== undefined ? ' through its API' : '';
  throw new AppError('site_unusable', `this server cannot reach ${site.kind} sites${how} yet`, {
    site: site.name,
  });
}

function slurmDefaults(defaults: SiteDefaults): SlurmDefaults {
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
