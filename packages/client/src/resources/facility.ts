import { path, type Transport } from '../transport.ts';
import type {
  AuditEvent,
  AuditListQuery,
  CreateExperimentTypeInput,
  CreateStationInput,
  ExperimentType,
  Page,
  PageQuery,
  Station,
  StationAccounts,
  StationSources,
  UpdateStationInput,
} from '../types.ts';

const base = '/api/v1';

/**
 * `/stations`: beamlines and their managers (the staff who register experiments there).
 *
 * @example
 * await client.stations.create({ name: '8-ID-I', description: 'XPCS' });
 * await client.stations.addManager('8-ID-I', 'alice');
 */
export class StationsApi {
  constructor(private readonly transport: Transport) {}

  list(query: PageQuery = {}): Promise<Page<Station>> {
    return this.transport.request('GET', `${base}/stations`, { query: { ...query } });
  }

  create(input: CreateStationInput): Promise<Station> {
    return this.transport.request('POST', `${base}/stations`, { body: input });
  }

  show(name: string): Promise<Station> {
    return this.transport.request('GET', base + path`/stations/${name}`);
  }

  update(name: string, changes: UpdateStationInput): Promise<Station> {
    return this.transport.request('PATCH', base + path`/stations/${name}`, { body: changes });
  }

  addManager(name: string, username: string): Promise<Station> {
    return this.transport.request('POST', base + path`/stations/${name}/managers`, { body: { username } });
  }

  removeManager(name: string, username: string): Promise<Station> {
    return this.transport.request('DELETE', base + path`/stations/${name}/managers/${username}`);
  }

  /** The unix accounts the station's workflows may run as. */
  accounts(name: string): Promise<StationAccounts> {
    return this.transport.request('GET', base + path`/stations/${name}/accounts`);
  }

  /** Admins: never root, a system account (uid < DM_MIN_STAGE_UID) or a forbidden one. */
  addAccount(name: string, account: string): Promise<StationAccounts> {
    return this.transport.request('PUT', base + path`/stations/${name}/accounts/${account}`);
  }

  removeAccount(name: string, account: string): Promise<StationAccounts> {
    return this.transport.request('DELETE', base + path`/stations/${name}/accounts/${account}`);
  }

  /** Where the station's uploads and DAQs may read, and as which unix account (admins, its managers). */
  sources(name: string): Promise<StationSources> {
    return this.transport.request('GET', base + path`/stations/${name}/source-roots`);
  }

  /** Adds a source root (admins); the server stores its real path. */
  addSourceRoot(name: string, directory: string): Promise<StationSources> {
    return this.transport.request('PUT', base + path`/stations/${name}/source-roots`, {
      body: { path: directory },
    });
  }

  /** Removes a source root (admins), named as `sources` lists it. */
  removeSourceRoot(name: string, directory: string): Promise<StationSources> {
    return this.transport.request('DELETE', base + path`/stations/${name}/source-roots`, {
      query: { path: directory },
    });
  }

  /** Sets (a name) or clears (null) the unix account the station's sources are checked as (admins). */
  setSourceAccount(name: string, account: string | null): Promise<StationSources> {
    return account === null
      ? this.transport.request('DELETE', base + path`/stations/${name}/source-account`)
      : this.transport.request('PUT', base + path`/stations/${name}/source-account`, { body: { account } });
  }
}

/**
 * `/experiment-types`: the kinds of experiment a facility runs (XPCS, SAXS, tomography...).
 *
 * @example
 * await client.experimentTypes.create({ name: 'XPCS', description: 'X-ray photon correlation spectroscopy' });
 */
export class ExperimentTypesApi {
  constructor(private readonly transport: Transport) {}

  list(query: PageQuery = {}): Promise<Page<ExperimentType>> {
    return this.transport.request('GET', `${base}/experiment-types`, { query: { ...query } });
  }

  create(input: CreateExperimentTypeInput): Promise<ExperimentType> {
    return this.transport.request('POST', `${base}/experiment-types`, { body: input });
  }
}

/**
 * `/audit`: who changed what, newest first. Admins see everything, station managers their stations.
 *
 * @example
 * const { items } = await client.audit.list({ experiment: '2026-1-smith', limit: 20 });
 */
export class AuditApi {
  constructor(private readonly transport: Transport) {}

  list(query: AuditListQuery = {}): Promise<Page<AuditEvent>> {
    return this.transport.request('GET', `${base}/audit`, { query: { ...query } });
  }
}

/** When the download-link key was replaced: links signed before then no longer work. */
export interface KeyRotation {
  rotatedAt: string;
}

/**
 * `/secrets`: the server's shared secrets (admins).
 *
 * @example
 * const { rotatedAt } = await client.secrets.rotateDownloadKey();
 */
export class SecretsApi {
  constructor(private readonly transport: Transport) {}

  rotateDownloadKey(): Promise<KeyRotation> {
    return this.transport.request('POST', `${base}/secrets/download-key/rotate`);
  }
}
