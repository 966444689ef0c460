import type { Transport } from '../transport.ts';
import type { Usage, UsageQuery } from '../types.ts';

/**
 * `/usage`: files and bytes ingested, jobs ended, storage used, per day and station (staff only).
 *
 * @example
 * const usage = await client.usage.report({ from: '2026-11-01', to: '2026-11-30', station: '8-ID-I' });
 */
export class UsageApi {
  constructor(private readonly transport: Transport) {}

  report(query: UsageQuery = {}): Promise<Usage> {
    return this.transport.request('GET', '/api/v1/usage', { query: { ...query } });
  }
}
