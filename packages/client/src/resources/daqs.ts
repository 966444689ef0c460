import { path, type Transport } from '../transport.ts';
import type { Daq, DaqInput, DaqListQuery, Page } from '../types.ts';

const base = '/api/v1';

/**
 * `/daqs`: directory monitors that take files into an experiment as a beamline writes them.
 *
 * @example
 * const daq = await client.daqs.create({ experiment: '2026-1-smith', dataDirectory: '/detector/run-7', settleSeconds: 5 });
 * await client.daqs.stop(daq.id);
 */
export class DaqsApi {
  constructor(private readonly transport: Transport) {}

  /** Staff only; the DAQ starts monitoring at once. */
  create(input: DaqInput): Promise<Daq> {
    return this.transport.request('POST', `${base}/daqs`, { body: input });
  }

  /** Newest first, of the experiments the caller may see. */
  list(query: DaqListQuery = {}): Promise<Page<Daq>> {
    return this.transport.request('GET', `${base}/daqs`, { query: { ...query } });
  }

  show(id: number): Promise<Daq> {
    return this.transport.request('GET', base + path`/daqs/${id}`);
  }

  /** Staff only; the DAQ comes back `done`. */
  stop(id: number): Promise<Daq> {
    return this.transport.request('POST', base + path`/daqs/${id}/stop`);
  }
}
