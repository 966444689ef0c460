/**
 * The server's side of DAQ agents: claims and leases through the API, and files received over HTTP or
 * copied directly into mounted storage, taken into the catalog by the same path the server's DAQ uses.
 *
 * Every call comes from the lease owner of a running agent DAQ (else `lease_lost`) whose account is staff
 * of the DAQ's station. A file's bytes are streamed into a staging file; the agent's MD5 and SHA-256 are
 * checked against the staged bytes before the file is renamed into place.
 */
import type { Readable } from 'node:stream';
import { managedStationIds } from '../authorization/policy.ts';
import type { Actor } from '../authorization/principal.ts';
import { findFile } from '../catalog/file-records.ts';
import { claimLeased, leaseMs } from '../claims/leases.ts';
import type { ServiceContext } from '../context.ts';
import * as daqRecords from '../daq/records.ts';
import { endDaqWithEvent, publishDaqStatus } from '../daq/status-events.ts';
import { decodeJson } from '../db/profile.ts';
import { AppError } from '../errors/app-error.ts';
import { loadManageable } from '../experiments/access.ts';
import { removeDaqStaging, removeStagingOfEndedDaqs, stagingPath } from '../staging/files.ts';
import * as stagingRows from '../staging/rows.ts';
import { createStagingWriter } from '../staging/writer.ts';
import { catalogStored, takeStaged } from '../take/pipeline.ts';
import { removeLeftoverPartials } from '../transfer/partial-cleanup.ts';
import { createAgentBatches } from './batches.ts';
import { createAgentFiles, type Leased } from './files.ts';
import type {
  AgentDaq,
  ChecksumsBody,
  ClaimBody,
  ContentQuery,
  FileVersionBody,
  RefuseBody,
  RenewBody,
  TakenResponse,
} from './schemas.ts';

const keptErrors = 100;

export function createDaqAgentService(context: ServiceContext) {
  const { db } = context;
  const writer = createStagingWriter();
  const leaseUntil = () => new Date(Date.parse(context.now()) + leaseMs).toISOString();

  /** The DAQ, if the caller is staff of its station (a stranger learns nothing: 404). */
  async function manageable(actor: Actor, id: number): Promise<Leased> {
    const daq = await daqRecords.findDaq(db, id);
    const missing = () => new AppError('daq_not_found', `no DAQ ${id}`);
    if (!daq) throw missing();
    try {
      return { daq, experiment: await loadManageable(context, actor, daq.experiment_name) };
    } catch (error) {
      throw error instanceof AppError && error.code === 'experiment_not_found' ? missing() : error;
    }
  }

  async function leased(actor: Actor, id: number, owner: string): Promise<Leased> {
    const found = await manageable(actor, id);
    const { daq } = found;
    if (daq.mode !== 'agent' || daq.status !== 'running' || daq.lease_owner !== owner) {
      throw new AppError('lease_lost', `DAQ ${id} is not running under this agent's lease`, {
        status: daq.status,
        mode: daq.mode,
      });
    }
    return found;
  }

  const files = createAgentFiles(context, writer);

  const batches = createAgentBatches(context, { leased, ...files });

  return {
    /** Claims the oldest claimable DAQ assigned to `agent`, or none. */
    async claim(actor: Actor, body: ClaimBody): Promise<{ daq: AgentDaq | null }> {
      await removeStagingOfEndedDaqs(context);
      const candidates = await daqRecords.agentDaqCandidates(db, body.agent);
      if (candidates.length === 0) return { daq: null };
      let experimentIds: number[] | undefined;
      if (!actor.principal.isAdmin) {
        const stations = new Set(await managedStationIds(db, actor.principal));
        experimentIds = candidates.filter((c) => stations.has(c.station_id)).map((c) => c.experiment_id);
        if (experimentIds.length === 0) {
          const names = [...new Set(candidates.map((c) => c.station_name))].join(', ');
          throw new AppError('forbidden', `only admins and managers of station ${names} may run these DAQs`, {
            agent: body.agent,
          });
        }
      }
      const id = await claimLeased(db, 'daqs', body.owner, context.now(), leaseUntil(), {
        filter: {
          mode: 'agent',
          agent_name: body.agent,
          ...(experimentIds !== undefined && { experiment_id: experimentIds }),
        },
        onClaimed: async (trx, claimedId, previousStatus) => {
          const claimedDaq = await daqRecords.findDaq(trx, claimedId);
          if (claimedDaq) await publishDaqStatus(context, trx, claimedDaq, 'running', previousStatus);
        },
      });
      if (id === undefined) return { daq: null };
      const { daq, experiment } = await manageable(actor, id);
      // Direct copies of a killed agent leave partial files in storage, as the server's own copies do.
      await removeLeftoverPartials(context, experiment, { table: 'daqs', id });
      return {
        daq: {
          id,
          experimentName: daq.experiment_name,
          dataDirectory: daq.data_directory,
          destDirectory: daq.dest_directory,
          skipPatterns: decodeJson<string[]>(context.profile, daq.skip_patterns),
          settleSeconds: daq.settle_ms / 1000,
          newOnly: daq.new_only === 1,
          overwrite: daq.overwrite === 1,
          startTime: daq.start_time ?? daq.submitted_at,
          stopTime: daq.stop_at,
          storagePath: `${experiment.station_name}/${experiment.name}`,
          leaseSeconds: leaseMs / 1000,
          taken: await daqRecords.filesTakenBy(db, id),
        },
      };
    },

    /** Extends the lease and adds the agent's failures to the DAQ's record; ends it at its stop time. */
    async renew(actor: Actor, id: number, body: RenewBody): Promise<{ running: boolean }> {
      const { daq, experiment } = await manageable(actor, id);
      if (daq.status !== 'running' || daq.lease_owner !== body.owner) return { running: false };
      const now = context.now();
      if (daq.stop_at !== null && now >= daq.stop_at) {
        await endDaqWithEvent(context, daq, 'done');
        await removeDaqStaging(context, experiment, id);
        return { running: false };
      }
      const errors = decodeJson<{ path: string; error: string }[]>(context.profile, daq.errors);
      for (const failure of body.failures) if (errors.length < keptErrors) errors.push(failure);
      const last = body.failures.at(-1);
      const lastError =
        body.lastError !== undefined ? body.lastError : last ? `${last.path}: ${last.error}` : daq.last_error;
      const state = {
        n_processing_errors: daq.n_processing_errors + body.failures.length,
        last_error: lastError,
        errors: JSON.stringify(errors),
      };
      return { running: await daqRecords.renewDaq(db, id, body.owner, state, now, leaseUntil()) };
    },

    /** A clean stop of the agent: the lease ends now, so its next start takes the DAQ at once. */
    async release(actor: Actor, id: number, owner: string): Promise<void> {
      await manageable(actor, id);
      await db
        .updateTable('daqs')
        .set({ lease_expires_at: context.now() })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute();
    },

    /**
     * The agent will not read the DAQ's directory (outside its `--allow-directory` list): the DAQ ends as
     * failed with the agent's reason as its lastError, so the person who started it sees why.
     */
    async refuse(actor: Actor, id: number, body: RefuseBody): Promise<void> {
      const { daq, experiment } = await leased(actor, id, body.owner);
      const state = {
        n_processing_errors: daq.n_processing_errors,
        last_error: `the DAQ agent ${daq.agent_name} refused it: ${body.reason}`,
        errors: JSON.stringify(decodeJson<unknown[]>(context.profile, daq.errors)),
      };
      if (await daqRecords.renewDaq(db, id, body.owner, state, context.now(), leaseUntil())) {
        await endDaqWithEvent(context, daq, 'failed');
        await removeDaqStaging(context, experiment, id);
      }
    },

    /** Whether the catalog has this version already; if not, how many of its bytes the server holds. */
    async offer(actor: Actor, id: number, body: FileVersionBody) {
      const leasedDaq = await leased(actor, id, body.owner);
      const { path } = await files.placeOf(leasedDaq, body.relativePath);
      const version = files.versionOf(id, path, body);
      const existing = await findFile(db, leasedDaq.experiment.id, path);
      if (existing && existing.size === version.size && existing.mtime === version.mtime)
        return { action: 'skip' as const, held: 0 };
      return { action: 'send' as const, held: await files.stage(leasedDaq, version) };
    },

    /** Appends the request body to the staged bytes at `offset`, which must be what the server holds. */
    async receive(actor: Actor, id: number, query: ContentQuery, body: Readable) {
      const leasedDaq = await leased(actor, id, query.owner);
      const { path } = await files.stagedPlaceOf(leasedDaq, query.relativePath);
      const row = await stagingRows.findStaging(db, files.versionOf(id, path, query));
      if (!row) throw new AppError('staging_mismatch', `offer ${path} before sending it`, { held: 0 });
      const file = stagingPath(context, leasedDaq.experiment, id, row.id);
      return { held: await writer.append(file, row.id, { offset: query.offset, size: query.size, body }) };
    },

    /** Verifies the staged file against the agent's checksums, renames it into place and catalogs it. */
    async commit(actor: Actor, id: number, body: ChecksumsBody): Promise<TakenResponse> {
      const leasedDaq = await leased(actor, id, body.owner);
      const staged = await files.verifyStaged(leasedDaq, body);
      const outcome = await takeStaged(
        context,
        await files.stagedRequest(
          leasedDaq,
          staged,
          await findFile(db, leasedDaq.experiment.id, staged.path),
        ),
      ).catch((error: unknown) => files.refuseTake(staged, error));
      await stagingRows.deleteStaging(db, [staged.row.id]);
      return files.takenOf(staged, outcome);
    },

    /** Direct copy: the agent wrote the file into mounted storage; re-read and verified before cataloging. */
    async catalogCopied(actor: Actor, id: number, body: ChecksumsBody): Promise<TakenResponse> {
      const leasedDaq = await leased(actor, id, body.owner);
      const copied = await files.verifyCopied(leasedDaq, body);
      const existing = await findFile(db, leasedDaq.experiment.id, copied.path);
      await catalogStored(
        context,
        files.copiedRequest(leasedDaq, copied, existing),
        copied.destination,
        copied.file,
      );
      return { path: copied.path, outcome: 'copied', size: body.size, md5: body.md5, sha256: body.sha256 };
    },

    offers: batches.offers,
    commits: batches.commits,
    catalogs: batches.catalogs,
  };
}

export type DaqAgentService = ReturnType<typeof createDaqAgentService>;
