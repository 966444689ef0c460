/**
 * What each kind of site needs to be reached, checked on the whole record (after a change is applied), so
 * that a site is never stored in a state no adapter could use. Every problem is named at once.
 */
import type { FieldProblem } from '../errors/app-error.ts';
import type { SiteConnection, SiteKind, SiteSecrets, StagingMode } from './schemas.ts';

export interface SiteShape {
  kind: SiteKind;
  connection: SiteConnection;
  /** The names of the secrets the record will hold. */
  secrets: ReadonlySet<keyof SiteSecrets>;
  staging: StagingMode;
}

type Field = keyof SiteConnection | keyof SiteSecrets;

const needs: Record<SiteKind, { required: Field[]; allowed: Field[] }> = {
  local: { required: [], allowed: [] },
  // Without `host`, the scheduler's commands run on this host; with `url`, slurmrestd answers instead.
  slurm: { required: [], allowed: ['host', 'identityFile', 'url', 'token'] },
  pbs: { required: [], allowed: ['host', 'identityFile'] },
  ssh: { required: ['host'], allowed: ['host', 'identityFile'] },
  'globus-compute': {
    required: ['endpointId', 'clientId', 'clientSecret'],
    allowed: ['endpointId', 'clientId', 'clientSecret', 'url'],
  },
  iri: { required: ['url', 'resourceId', 'token'], allowed: ['url', 'resourceId', 'token', 'apiVersion'] },
};

const where = (field: Field) =>
  field === 'token' || field === 'clientSecret' ? `secrets/${field}` : `connection/${field}`;

export function siteProblems(site: SiteShape): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const { required, allowed } = needs[site.kind];
  const has = (field: Field) =>
    field === 'token' || field === 'clientSecret'
      ? site.secrets.has(field)
      : site.connection[field] !== undefined;
  for (const field of required)
    if (!has(field)) problems.push({ field: where(field), message: `a ${site.kind} site needs it` });
  const fields = [...(Object.keys(site.connection) as Field[]), ...site.secrets];
  for (const field of fields)
    if (!allowed.includes(field))
      problems.push({ field: where(field), message: `a ${site.kind} site has no use for it` });
  if (site.connection.identityFile !== undefined && site.connection.host === undefined)
    problems.push({ field: 'connection/identityFile', message: 'an SSH key needs connection/host' });
  if (site.kind === 'slurm' && site.connection.url !== undefined && !site.secrets.has('token'))
    problems.push({ field: 'secrets/token', message: 'slurmrestd (connection/url) needs a token' });
  if (site.staging === 'copy' && site.connection.host === undefined)
    problems.push({ field: 'staging', message: 'copy goes over SSH: the site needs connection/host' });
  if (site.staging === 'globus')
    problems.push({
      field: 'staging',
      message: 'globus staging needs the Globus collections of both ends, which sites cannot name yet',
    });
  return problems;
}
