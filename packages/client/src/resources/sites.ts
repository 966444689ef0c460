import { path, type Transport } from '../transport.ts';
import type { CreateSiteInput, Page, PageQuery, Site, SiteTestReport, UpdateSiteInput } from '../types.ts';

const base = '/api/v1';

/**
 * `/sites`: where workflow stages run (`local`, Slurm and PBS clusters, SSH hosts, Globus Compute and IRI
 * endpoints). Admins keep them; everyone may list them.
 *
 * @example
 * await client.sites.create({ name: 'polaris', kind: 'slurm', connection: { host: 'svc@polaris:22' } });
 */
export class SitesApi {
  constructor(private readonly transport: Transport) {}

  list(query: PageQuery = {}): Promise<Page<Site>> {
    return this.transport.request('GET', `${base}/sites`, { query: { ...query } });
  }

  create(input: CreateSiteInput): Promise<Site> {
    return this.transport.request('POST', `${base}/sites`, { body: input });
  }

  show(name: string): Promise<Site> {
    return this.transport.request('GET', base + path`/sites/${name}`);
  }

  /** Each field given replaces the stored one (connection, defaults and secrets whole); `null` clears. */
  update(name: string, changes: UpdateSiteInput): Promise<Site> {
    return this.transport.request('PATCH', base + path`/sites/${name}`, { body: changes });
  }

  /** Submits a trivial command there and cancels another (admins); each step says how it went. */
  test(name: string, options: { timeoutSeconds?: number } = {}): Promise<SiteTestReport> {
    return this.transport.request('POST', base + path`/sites/${name}/test`, { body: options });
  }

  remove(name: string): Promise<void> {
    return this.transport.request('DELETE', base + path`/sites/${name}`);
  }
}
