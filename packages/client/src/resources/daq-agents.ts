import { path, type Transport } from '../transport.ts';
import type {
  AgentDaq,
  DaqAgentBatchOffer,
  DaqAgentCommitResult,
  DaqAgentFileChecksums,
  DaqAgentFileVersion,
  DaqAgentOffer,
  DaqAgentRenewal,
  DaqAgentTaken,
} from '../types.ts';

const base = '/api/v1';

/**
 * What a DAQ agent (`dm daq-agent`) asks of the server: claim the DAQs assigned to it, keep their leases,
 * and send files. Every call names the lease `owner` the agent claimed with; staff of the station only.
 *
 * @example
 * const { daq } = await client.daqAgents.claim({ agent: 'bl8-daq', owner });
 * const offer = await client.daqAgents.offer(daq.id, { owner, relativePath: 'a.h5', size, mtime });
 * if (offer.action === 'send') await client.daqAgents.send(daq.id, { ...version, offset: offer.held }, chunks);
 * await client.daqAgents.commit(daq.id, { ...version, md5, sha256 });
 */
export class DaqAgentsApi {
  constructor(private readonly transport: Transport) {}

  /** The oldest claimable DAQ assigned to `agent`, leased to `owner`; `null` when there is none. */
  claim(input: { agent: string; owner: string }): Promise<{ daq: AgentDaq | null }> {
    return this.transport.request('POST', `${base}/daqs/claim`, { body: input });
  }

  /** Extends the lease and reports failed files; `running: false` means let the DAQ go. */
  renew(id: number, input: DaqAgentRenewal): Promise<{ running: boolean }> {
    return this.transport.request('POST', base + path`/daqs/${id}/renew`, { body: input });
  }

  /** Ends the lease now (a clean stop), so the next start takes the DAQ at once. */
  release(id: number, owner: string): Promise<void> {
    return this.transport.request('POST', base + path`/daqs/${id}/release`, { body: { owner } });
  }

  /** The agent will not read the DAQ's directory: the DAQ ends as failed, with `reason` as its lastError. */
  refuse(id: number, input: { owner: string; reason: string }): Promise<void> {
    return this.transport.request('POST', base + path`/daqs/${id}/refuse`, { body: input });
  }

  /** `skip` when the catalog has this version; otherwise send it from `held` bytes. */
  offer(id: number, version: DaqAgentFileVersion): Promise<DaqAgentOffer> {
    return this.transport.request('POST', base + path`/daqs/${id}/files/offer`, { body: version });
  }

  /** Streams the file's bytes from `offset` (which must be what the server holds). */
  send(
    id: number,
    version: DaqAgentFileVersion & { offset: number },
    body: AsyncIterable<Uint8Array>,
  ): Promise<{ held: number }> {
    return this.transport.upload('PUT', base + path`/daqs/${id}/files/content`, body, {
      query: { ...version },
    });
  }

  /** The server verifies the sent bytes against these checksums (`checksum_mismatch`), then takes the file. */
  commit(id: number, input: DaqAgentFileChecksums): Promise<DaqAgentTaken> {
    return this.transport.request('POST', base + path`/daqs/${id}/files/commit`, { body: input });
  }

  /**
   * Offers many versions at once (small files, up to 256): one answer per file, in order. A server older
   * than these batches answers 404 `route_not_found`: offer one at a time.
   */
  offers(
    id: number,
    input: { owner: string; files: Omit<DaqAgentFileVersion, 'owner'>[] },
  ): Promise<{ offers: DaqAgentBatchOffer[] }> {
    return this.transport.request('POST', base + path`/daqs/${id}/files/offers`, { body: input });
  }

  /** Commits many sent files at once: taken together, one result per file (a file's failure is its own). */
  commits(
    id: number,
    input: { owner: string; files: Omit<DaqAgentFileChecksums, 'owner'>[] },
  ): Promise<{ results: DaqAgentCommitResult[] }> {
    return this.transport.request('POST', base + path`/daqs/${id}/files/commits`, { body: input });
  }

  /** Direct copy, many files at once: each re-read and verified, cataloged together; one result per file. */
  catalogs(
    id: number,
    input: { owner: string; files: Omit<DaqAgentFileChecksums, 'owner'>[] },
  ): Promise<{ results: DaqAgentCommitResult[] }> {
    return this.transport.request('POST', base + path`/daqs/${id}/files/catalogs`, { body: input });
  }

  /** Direct copy: the file is in mounted storage already; the server re-reads it, then catalogs it. */
  catalog(id: number, input: DaqAgentFileChecksums): Promise<DaqAgentTaken> {
    return this.transport.request('POST', base + path`/daqs/${id}/files/catalog`, { body: input });
  }
}
