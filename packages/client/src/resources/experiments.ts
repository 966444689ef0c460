import { path, type Transport } from '../transport.ts';
import type {
  Experiment,
  ExperimentInput,
  ExperimentListQuery,
  ExperimentRole,
  ImportResult,
  Page,
  UpdateExperimentInput,
} from '../types.ts';

const base = '/api/v1';

/**
 * `/experiments`: registration, life cycle (planned → running → stopped) and membership.
 *
 * @example
 * const experiment = await client.experiments.create({ name: '2026-1-smith', station: '8-ID-I', pi: 'alice' });
 * await client.experiments.start(experiment.name);
 */
export class ExperimentsApi {
  constructor(private readonly transport: Transport) {}

  /** Only the experiments the caller may see. */
  list(query: ExperimentListQuery = {}): Promise<Page<Experiment>> {
    return this.transport.request('GET', `${base}/experiments`, { query: { ...query } });
  }

  /** Also creates the experiment's storage tree. Admins and the station's managers only. */
  create(input: ExperimentInput): Promise<Experiment> {
    return this.transport.request('POST', `${base}/experiments`, { body: input });
  }

  show(name: string): Promise<Experiment> {
    return this.transport.request('GET', base + path`/experiments/${name}`);
  }

  update(name: string, changes: UpdateExperimentInput): Promise<Experiment> {
    return this.transport.request('PATCH', base + path`/experiments/${name}`, { body: changes });
  }

  start(name: string): Promise<Experiment> {
    return this.transport.request('POST', base + path`/experiments/${name}/start`);
  }

  stop(name: string): Promise<Experiment> {
    return this.transport.request('POST', base + path`/experiments/${name}/stop`);
  }

  /** Refused with `experiment_not_empty` while its storage holds files. */
  delete(name: string): Promise<void> {
    return this.transport.request('DELETE', base + path`/experiments/${name}`);
  }

  /** A new PI makes the previous one a plain user. */
  addUser(name: string, username: string, role: ExperimentRole): Promise<Experiment> {
    return this.transport.request('POST', base + path`/experiments/${name}/users`, {
      body: { username, role },
    });
  }

  removeUser(name: string, username: string): Promise<Experiment> {
    return this.transport.request('DELETE', base + path`/experiments/${name}/users/${username}`);
  }

  /** Creates or updates experiments by name, all or nothing; re-importing the same list changes nothing. */
  import(experiments: ExperimentInput[]): Promise<ImportResult> {
    return this.transport.request('POST', `${base}/experiments/import`, { body: { experiments } });
  }
}
