/**
 * The server's side of DAQ agents: claims and leases through the API, and files received over HTTP or
 * copied directly into mounted storage, taken into the catalog by the same path the server's DAQ uses.
 *
 * Every call comes from the lease owner of a running agent DAQ (else `lease_lost`) whose account is staff
 * of the DAQ's station. A file's bytes are streamed into a staging file; the agent's MD5 and SHA-256 are
 * checked against the staged bytes before the file is renamed into place.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { managedStationIds } from '../auth/policy.ts';
import type { Actor } from '../auth/principal.ts';
import { catalogStored, ingestStaged, type StagedRequest } from '../catalog/ingest.ts';
import { findFile } from '../catalog/store.ts';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import type { DaqStagingRow, FileRow } from '../db/tables.ts';
import { AppError, invalidField } from '../errors/app-error.ts';
import { loadManageable } from '../experiments/access.ts';
import type { ExperimentRecord } from '../experiments/store.ts';
import { claimLeased, leaseMs } from '../leases.ts';
import { pathsOf } from '../storage/lifecycle.ts';
import { DestinationConflictError, NoSpaceError, PathOutsideRootError } from '../transfer/errors.ts';
import { removeLeftoverPartials } from '../transfer/partial-cleanup.ts';
import { digestFile, type FileDigest, syncFile } from '../transfer/place-staged.ts';
import { checkRelativePath, resolveInside } from '../transfer/safe-path.ts';
import { createAgentBatches } from './agent-batches.ts';
import type {
  AgentDaq,
  ChecksumsBody,
  ClaimBody,
  ContentQuery,
  FileVersionBody,
  RenewBody,
  TakenResponse,
} from './agent-schemas.ts';
import { removeDaqStaging, removeStagingOfEndedDaqs, stagingPath } from './staging.ts';
import * as stagingStore from './staging-store.ts';
import { createStagingWriter } from './staging-writer.ts';
import { endDaqWithEvent, publishDaqStatus } from './status-events.ts';
import * as store from './store.ts';

const keptErrors = 100;

export interface Leased {
  daq: store.DaqRecord;
  experiment: ExperimentRecord;
}

/** A file the agent copied into storage, verified, ready to catalog. */
export interface Copied {
  path: string;
  source: string;
  destination: string;
  file: FileDigest & { mtime: string; transferMs: null };
}

/** A sent file whose staged bytes match the agent's checksums, durable, ready to be put in place. */
export interface Staged {
  path: string;
  source: string;
  version: stagingStore.FileVersion;
  row: DaqStagingRow;
  file: string;
  digest: FileDigest;
}

export function createDaqAgentService(context: ServiceContext) {
  const { db } = context;
  const writer = createStagingWriter();
  const leaseUntil = () => new Date(Date.parse(context.now()) + leaseMs).toISOString();

  /** The DAQ, if the caller is staff of its station (a stranger learns nothing: 404). */
  async function manageable(actor: Actor, id: number): Promise<Leased> {
    const daq = await store.findDaq(db, id);
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

  /** The file's path in the experiment, refusing any that would leave the DAQ's destination. */
  async function placeOf({ daq, experiment }: Leased, relativePath: string) {
    const path = daq.dest_directory ? `${daq.dest_directory}/${relativePath}` : relativePath;
    try {
      // An absolute or `..` relativePath is refused here too: it makes an absolute path or a `..` segment.
      const destination = await resolveInside(pathsOf(context, experiment).dataDirectory, path);
      return { path, destination, source: posix.join(daq.data_directory, relativePath) };
    } catch (error) {
      if (error instanceof PathOutsideRootError) throw invalidField('relativePath', error.message);
      throw error;
    }
  }

  /**
   * `placeOf` without its walk on disk, for a file already offered: a staging row exists only for a path
   * the offer's `placeOf` let through, the bytes go to staging, and the rename into place resolves again.
   */
  async function stagedPlaceOf({ daq, experiment }: Leased, relativePath: string) {
    const path = daq.dest_directory ? `${daq.dest_directory}/${relativePath}` : relativePath;
    try {
      checkRelativePath(pathsOf(context, experiment).dataDirectory, path);
    } catch (error) {
      if (error instanceof PathOutsideRootError) throw invalidField('relativePath', error.message);
      throw error;
    }
    return { path, source: posix.join(daq.data_directory, relativePath) };
  }

  const versionOf = (daqId: number, path: string, body: Pick<FileVersionBody, 'size' | 'mtime'>) => ({
    daqId,
    path,
    size: body.size,
    mtime: new Date(body.mtime).toISOString(),
  });

  const workflowOf = (daq: Leased['daq']) =>
    daq.workflow
      ? {
          name: daq.workflow,
          args: JSON.stringify(decodeJson<Record<string, string>>(context.profile, daq.workflow_args)),
        }
      : undefined;

  /** The staging of a version the catalog lacks: made if new, older versions' bytes dropped; bytes held. */
  async function stage(leasedDaq: Leased, version: stagingStore.FileVersion): Promise<number> {
    const { experiment } = leasedDaq;
    const row = await stagingStore.ensureStaging(db, version, context.now());
    const stale = await stagingStore.otherVersions(db, version.daqId, version.path, row.id);
    for (const old of stale)
      await writer.discard(stagingPath(context, experiment, version.daqId, old.id), old.id);
    await stagingStore.deleteStaging(
      db,
      stale.map((old) => old.id),
    );
    return writer.held(stagingPath(context, experiment, version.daqId, row.id), row.id);
  }

  /** `stage` for many versions at once: their rows made together, the bytes held of each by path. */
  async function stageMany(leasedDaq: Leased, versions: readonly stagingStore.FileVersion[]) {
    const { experiment, daq } = leasedDaq;
    const { rows, stale } = await stagingStore.ensureStagings(db, daq.id, versions, context.now());
    for (const old of stale) await writer.discard(stagingPath(context, experiment, daq.id, old.id), old.id);
    await stagingStore.deleteStaging(
      db,
      stale.map((old) => old.id),
    );
    const held = await Promise.all(
      [...rows.values()].map(async (row) => {
        const bytes = await writer.held(stagingPath(context, experiment, daq.id, row.id), row.id);
        return [row.path, bytes] as const;
      }),
    );
    return new Map(held);
  }

  /**
   * The staged bytes of a sent file, checked against the agent's checksums (a mismatch discards them) and
   * made durable; a clear error when they are missing, short or wrong.
   */
  async function verifyStaged(leasedDaq: Leased, body: Omit<ChecksumsBody, 'owner'>): Promise<Staged> {
    const id = leasedDaq.daq.id;
    const { path, source } = await stagedPlaceOf(leasedDaq, body.relativePath);
    const version = versionOf(id, path, body);
    const row = await stagingStore.findStaging(db, version);
    if (!row) throw new AppError('staging_mismatch', `offer and send ${path} first`, { held: 0 });
    const file = stagingPath(context, leasedDaq.experiment, id, row.id);
    if (body.size === 0) await writer.ensureEmpty(file, row.id);
    const held = await writer.held(file, row.id);
    if (held !== body.size)
      throw new AppError('staging_mismatch', `${path}: ${held} of ${body.size} bytes held`, { held });
    const digest = await digestFile(file, { md5: true, expectedSize: body.size }).catch((error: unknown) => {
      // A commit sent twice: the first one took the file (and its staging row goes next).
      if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
      throw new AppError('staging_mismatch', `${path}: nothing held`, { held: 0 });
    });
    if (digest.sha256 !== body.sha256 || digest.md5 !== body.md5) {
      await writer.discard(file, row.id);
      await stagingStore.deleteStaging(db, [row.id]);
      throw new AppError('checksum_mismatch', `${path}: the bytes received do not match the checksums sent`, {
        path,
        expectedSha256: body.sha256,
        actualSha256: digest.sha256,
      });
    }
    await syncFile(file);
    return { path, source, version, row, file, digest };
  }

  const stagedRequest = async (
    { daq, experiment }: Leased,
    staged: Staged,
    existing: FileRow | undefined,
  ): Promise<StagedRequest> => ({
    experiment,
    source: staged.source,
    path: staged.path,
    existing,
    overwrite: daq.overwrite === 1,
    origin: { type: 'daq', id: daq.id },
    workflow: workflowOf(daq),
    staged: staged.file,
    digest: staged.digest,
    mtime: staged.version.mtime,
    transferMs: Date.now() - Date.parse(staged.row.created_at),
  });

  /** Why a verified file could not be taken, as the API says it; a conflicting file's bytes are dropped. */
  async function refuseTake(staged: Staged, error: unknown): Promise<never> {
    const { path } = staged;
    if (error instanceof NoSpaceError)
      throw new AppError('storage_full', `${path}: the server's storage is full`, { path });
    if (!(error instanceof DestinationConflictError)) throw error;
    await writer.discard(staged.file, staged.row.id);
    await stagingStore.deleteStaging(db, [staged.row.id]);
    throw new AppError('destination_conflict', error.message, { path });
  }

  const takenOf = (staged: Staged, outcome: TakenResponse['outcome']): TakenResponse => ({
    path: staged.path,
    outcome,
    size: staged.digest.size,
    md5: staged.digest.md5,
    sha256: staged.digest.sha256,
  });

  /** A file the agent copied into storage, re-read: its size and SHA-256 must be the ones sent. */
  async function verifyCopied(leasedDaq: Leased, body: Omit<ChecksumsBody, 'owner'>): Promise<Copied> {
    const { path, destination, source } = await placeOf(leasedDaq, body.relativePath);
    const digest = await digestFile(destination, { md5: false, expectedSize: body.size }).catch(
      (error: unknown) => {
        if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
        throw new AppError('file_not_found', `${path} is not in the experiment's storage`, { path });
      },
    );
    if (digest.size !== body.size || digest.sha256 !== body.sha256) {
      throw new AppError('checksum_mismatch', `${path} in storage does not match the checksums sent`, {
        path,
        expectedSha256: body.sha256,
        actualSha256: digest.sha256,
      });
    }
    const { size, md5, sha256 } = body;
    const mtime = versionOf(leasedDaq.daq.id, path, body).mtime;
    return { path, source, destination, file: { size, md5, sha256, mtime, transferMs: null } };
  }

  const copiedRequest = ({ daq, experiment }: Leased, copied: Copied, existing: FileRow | undefined) => ({
    experiment,
    source: copied.source,
    path: copied.path,
    existing,
    origin: { type: 'daq' as const, id: daq.id },
    workflow: workflowOf(daq),
  });

  const batches = createAgentBatches(context, {
    leased,
    placeOf,
    stagedPlaceOf,
    versionOf,
    stageMany,
    verifyStaged,
    stagedRequest,
    refuseTake,
    takenOf,
    verifyCopied,
    copiedRequest,
  });

  return {
    /** Claims the oldest claimable DAQ assigned to `agent`, or none. */
    async claim(actor: Actor, body: ClaimBody): Promise<{ daq: AgentDaq | null }> {
      await removeStagingOfEndedDaqs(context);
      const candidates = await store.agentDaqCandidates(db, body.agent);
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
      const id = await claimLeased(
        db,
        'daqs',
        body.owner,
        context.now(),
        leaseUntil(),
        {
          mode: 'agent',
          agent_name: body.agent,
          ...(experimentIds !== undefined && { experiment_id: experimentIds }),
        },
        async (trx, claimedId, previousStatus) => {
          const claimedDaq = await store.findDaq(trx, claimedId);
          if (claimedDaq) await publishDaqStatus(context, trx, claimedDaq, 'running', previousStatus);
        },
      );
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
          taken: await store.filesTakenBy(db, id),
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
      return { running: await store.renewDaq(db, id, body.owner, state, now, leaseUntil()) };
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

    /** Whether the catalog has this version already; if not, how many of its bytes the server holds. */
    async offer(actor: Actor, id: number, body: FileVersionBody) {
      const leasedDaq = await leased(actor, id, body.owner);
      const { path } = await placeOf(leasedDaq, body.relativePath);
      const version = versionOf(id, path, body);
      const existing = await findFile(db, leasedDaq.experiment.id, path);
      if (existing && existing.size === version.size && existing.mtime === version.mtime)
        return { action: 'skip' as const, held: 0 };
      return { action: 'send' as const, held: await stage(leasedDaq, version) };
    },

    /** Appends the request body to the staged bytes at `offset`, which must be what the server holds. */
    async receive(actor: Actor, id: number, query: ContentQuery, body: Readable) {
      const leasedDaq = await leased(actor, id, query.owner);
      const { path } = await stagedPlaceOf(leasedDaq, query.relativePath);
      const row = await stagingStore.findStaging(db, versionOf(id, path, query));
      if (!row) throw new AppError('staging_mismatch', `offer ${path} before sending it`, { held: 0 });
      const file = stagingPath(context, leasedDaq.experiment, id, row.id);
      return { held: await writer.append(file, row.id, { offset: query.offset, size: query.size, body }) };
    },

    /** Verifies the staged file against the agent's checksums, renames it into place and catalogs it. */
    async commit(actor: Actor, id: number, body: ChecksumsBody): Promise<TakenResponse> {
      const leasedDaq = await leased(actor, id, body.owner);
      const staged = await verifyStaged(leasedDaq, body);
      const outcome = await ingestStaged(
        context,
        await stagedRequest(leasedDaq, staged, await findFile(db, leasedDaq.experiment.id, staged.path)),
      ).catch((error: unknown) => refuseTake(staged, error));
      await stagingStore.deleteStaging(db, [staged.row.id]);
      return takenOf(staged, outcome);
    },

    /** Direct copy: the agent wrote the file into mounted storage; re-read and verified before cataloging. */
    async catalogCopied(actor: Actor, id: number, body: ChecksumsBody): Promise<TakenResponse> {
      const leasedDaq = await leased(actor, id, body.owner);
      const copied = await verifyCopied(leasedDaq, body);
      const existing = await findFile(db, leasedDaq.experiment.id, copied.path);
      await catalogStored(
        context,
        copiedRequest(leasedDaq, copied, existing),
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
