import { TokensApi, UsersApi } from './resources/accounts.ts';
import { DaqAgentsApi } from './resources/daq-agents.ts';
import { DaqsApi } from './resources/daqs.ts';
import { EventsApi } from './resources/events.ts';
import { ExperimentsApi } from './resources/experiments.ts';
import { AuditApi, ExperimentTypesApi, SecretsApi, StationsApi } from './resources/facility.ts';
import { FilesApi, StorageApi, UploadsApi } from './resources/files.ts';
import { JobsApi } from './resources/jobs.ts';
import { SitesApi } from './resources/sites.ts';
import { UsageApi } from './resources/usage.ts';
import { WorkflowsApi } from './resources/workflows.ts';
import { type FetchFunction, Transport } from './transport.ts';
import type { Health, IssuedToken, LoginInput, User } from './types.ts';

export interface PhotonClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080` (without `/api/v1`). */
  server: string;
  /** Bearer token: a session from `login` or an API token. */
  token?: string | undefined;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: FetchFunction | undefined;
}

/**
 * The typed client of the Photon DM HTTP API (docs/api.md), one method per endpoint, grouped by resource.
 * Every failure, including an unreachable server, is thrown as an `ApiError`.
 *
 * @example
 * const client = new PhotonClient({ server: 'http://127.0.0.1:8080' });
 * const session = await client.login({ username: 'admin', password });
 * client.setToken(session.token);
 * const me = await client.whoami();
 */
export class PhotonClient {
  readonly tokens: TokensApi;
  readonly users: UsersApi;
  readonly stations: StationsApi;
  readonly experimentTypes: ExperimentTypesApi;
  readonly experiments: ExperimentsApi;
  readonly audit: AuditApi;
  readonly files: FilesApi;
  readonly uploads: UploadsApi;
  readonly storage: StorageApi;
  readonly daqs: DaqsApi;
  readonly daqAgents: DaqAgentsApi;
  readonly workflows: WorkflowsApi;
  readonly jobs: JobsApi;
  readonly events: EventsApi;
  readonly usage: UsageApi;
  readonly secrets: SecretsApi;
  readonly sites: SitesApi;
  private readonly transport: Transport;

  constructor(options: PhotonClientOptions) {
    this.transport = new Transport(options.server, { token: options.token, fetch: options.fetch });
    this.tokens = new TokensApi(this.transport);
    this.users = new UsersApi(this.transport);
    this.stations = new StationsApi(this.transport);
    this.experimentTypes = new ExperimentTypesApi(this.transport);
    this.experiments = new ExperimentsApi(this.transport);
    this.audit = new AuditApi(this.transport);
    this.files = new FilesApi(this.transport);
    this.uploads = new UploadsApi(this.transport);
    this.storage = new StorageApi(this.transport);
    this.daqs = new DaqsApi(this.transport);
    this.daqAgents = new DaqAgentsApi(this.transport);
    this.workflows = new WorkflowsApi(this.transport);
    this.jobs = new JobsApi(this.transport);
    this.events = new EventsApi(this.transport);
    this.usage = new UsageApi(this.transport);
    this.secrets = new SecretsApi(this.transport);
    this.sites = new SitesApi(this.transport);
  }

  /** The server URL as requests use it (without a trailing slash). */
  get server(): string {
    return this.transport.server;
  }

  /** Uses `token` for the following calls; `undefined` makes them anonymous. */
  setToken(token: string | undefined): void {
    this.transport.token = token;
  }

  /** Makes a session token; it does not replace this client's token (call `setToken` for that). */
  login(input: LoginInput): Promise<IssuedToken> {
    return this.transport.request('POST', '/api/v1/auth/login', { body: input, anonymous: true });
  }

  /** Revokes the token this client uses. */
  logout(): Promise<void> {
    return this.transport.request('POST', '/api/v1/auth/logout');
  }

  whoami(): Promise<User> {
    return this.transport.request('GET', '/api/v1/auth/whoami');
  }

  /** Needs no token; a 503 (thrown) means the database is down. */
  health(): Promise<Health> {
    return this.transport.request('GET', '/api/health', { anonymous: true });
  }
}
