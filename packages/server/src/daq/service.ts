import { auditWho, recordAudit } from '../audit/record.ts';
import type { Actor } from '../authorization/principal.ts';
import type { UnsavedErrors } from '../claims/unsaved-errors.ts';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import { validationFailed } from '../errors/app-error.ts';
import { defined } from '../errors/defined.ts';
import { loadManageable } from '../experiments/access.ts';
import { visibleExperimentIds } from '../experiments/lookup.ts';
import { readableWork, stopWork } from '../experiments/work-access.ts';
import { CursorShape, decodeCursor, splitPage } from '../paging/pages.ts';
import { checkSource } from '../sources/source-rules.ts';
import { removeDaqStaging } from '../staging/files.ts';
import { requireAcceptingWork } from '../storage/lifecycle.ts';
import { checkTransferDirectories } from '../transfer/transfer-request.ts';
import { argumentProblems } from '../workflows/shell-command.ts';
import { type DaqRecord, findDaq } from './records.ts';
import type { CreateDaqBody, Daq, DaqListQuery } from './schemas.ts';
import { publishDaqStatus } from './status-events.ts';
import * as store from './store.ts';

export function createDaqService(context: ServiceContext, runner: { wake(): void; unsaved: UnsavedErrors }) {
  const wakeRunner = runner.wake;
  const { db } = context;

  /** One DAQ as `present` shows it: one this request has just read or written. */
  async function presentOne(row: DaqRecord | undefined, id: number): Promise<Daq> {
    const [daq] = await present([defined(row, `DAQ ${id}`)]);
    return defined(daq, `DAQ ${id}`);
  }

  async function present(rows: DaqRecord[]): Promise<Daq[]> {
    const taken = await store.takenBy(
      db,
      rows.map((row) => row.id),
    );
    return rows.map((row) => {
      const { files, bytes } = taken.get(row.id) ?? { files: 0, bytes: 0 };
      const start = row.start_time ? Date.parse(row.start_time) : undefined;
      const seconds = start === undefined ? 0 : (Date.parse(row.end_time ?? context.now()) - start) / 1000;
      return {
        id: row.id,
        experimentName: row.experiment_name,
        dataDirectory: row.data_directory,
        destDirectory: row.dest_directory,
        status: row.status,
        mode: row.mode,
        agentName: row.agent_name,
        skipPatterns: decodeJson<string[]>(context.profile, row.skip_patterns),
        settleSeconds: row.settle_ms / 1000,
        newOnly: row.new_only === 1,
        overwrite: row.overwrite === 1,
        workflow: row.workflow,
        workflowArgs: decodeJson<Record<string, string>>(context.profile, row.workflow_args),
        startTime: row.start_time,
        endTime: row.end_time,
        stopTime: row.stop_at,
        nFiles: files + row.n_processing_errors,
        nProcessedFiles: files,
        nProcessingErrors: row.n_processing_errors,
        nBytes: bytes,
        lastError: runner.unsaved.lastError(row.id, row.last_error),
        errors: decodeJson<{ path: string; error: string }[]>(context.profile, row.errors),
        filesPerSecond: seconds > 0 ? Math.round((files / seconds) * 100) / 100 : 0,
        bytesPerSecond: seconds > 0 ? Math.round(bytes / seconds) : 0,
        createdBy: row.created_by,
        submissionTime: row.submitted_at,
      };
    });
  }

  async function readable(actor: Actor, id: number): Promise<DaqRecord> {
    return readableWork(context, actor, 'daq', id, await findDaq(db, id));
  }

  return {
    /**
     * Staff only, as uploads, and only from where the station's sources may be read (sources/). An agent's
     * directory is on another machine: here only its path is checked against the roots; the agent checks
     * it against its own allowlist.
     */
    async start(actor: Actor, body: CreateDaqBody): Promise<Daq> {
      // Its jobs would refuse these arguments one by one, file after file: refuse the DAQ instead.
      const argumentsWrong = argumentProblems(body.workflowArgs ?? {}, 'workflowArgs');
      if (argumentsWrong.length > 0) throw validationFailed(argumentsWrong);
      const experiment = await loadManageable(context, actor, body.experiment);
      const source = await checkSource(context, actor, experiment, body.dataDirectory, {
        onServer: body.agent === undefined,
      });
      const destDirectory = await checkTransferDirectories(context, experiment, body, {
        sourceOnServer: body.agent === undefined,
      });
      const now = context.now();
      const id = await db.transaction().execute(async (trx) => {
        await requireAcceptingWork(trx, experiment);
        const inserted = await store.insertDaq(trx, {
          experiment_id: experiment.id,
          data_directory: body.dataDirectory,
          dest_directory: destDirectory,
          skip_patterns: JSON.stringify(body.skipPatterns ?? []),
          settle_ms: Math.round((body.settleSeconds ?? context.settings.daqSettleSeconds) * 1000),
          new_only: body.newOnly ? 1 : 0,
          overwrite: body.overwrite ? 1 : 0,
          workflow: body.workflow ?? null,
          workflow_args: JSON.stringify(body.workflowArgs ?? {}),
          stop_at: body.durationSeconds
            ? new Date(Date.parse(now) + body.durationSeconds * 1000).toISOString()
            : null,
          mode: body.agent === undefined ? 'server' : 'agent',
          agent_name: body.agent ?? null,
          source_account: source.sourceAccount,
          created_by: actor.principal.username,
          submitted_at: now,
          updated_at: now,
        });
        await recordAudit(trx, auditWho(actor, now), {
          action: 'daq.start',
          targetType: 'daq',
          targetName: String(inserted),
          stationName: experiment.station_name,
          experimentName: experiment.name,
          details: { ...body },
        });
        const daq = { id: inserted, experiment_id: experiment.id, n_processing_errors: 0 };
        await publishDaqStatus(context, trx, daq, 'pending', null);
        return inserted;
      });
      wakeRunner();
      return presentOne(await findDaq(db, id), id);
    },

    async list(actor: Actor, query: DaqListQuery) {
      const rows = await store.listDaqs(db, {
        experimentIds: actor.principal.isAdmin
          ? undefined
          : await visibleExperimentIds(db, actor.principal.userId),
        experimentName: query.experiment,
        status: query.status,
        beforeId: decodeCursor(query.cursor, CursorShape.id),
        limit: query.limit,
      });
      const page = splitPage(rows, query.limit, (row) => row.id);
      return { items: await present(page.rows), nextCursor: page.nextCursor };
    },

    async show(actor: Actor, id: number): Promise<Daq> {
      return presentOne(await readable(actor, id), id);
    },

    /** APS `dm-stop-daq`: the DAQ ends as `done`; files already settled are not waited for. */
    async stop(actor: Actor, id: number): Promise<Daq> {
      const row = await readable(actor, id);
      const experiment = await stopWork(context, actor, 'daq', row, {
        end: (trx, now) => store.endDaq(trx, id, 'done', now),
        publish: (trx) => publishDaqStatus(context, trx, row, 'done', row.status),
      });
      if (row.mode === 'agent') await removeDaqStaging(context, experiment, id);
      return presentOne(await findDaq(db, id), id);
    },
  };
}

export type DaqService = ReturnType<typeof createDaqService>;
