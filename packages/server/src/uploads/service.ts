import { auditWho, recordAudit } from '../audit/record.ts';
import type { Actor } from '../authorization/principal.ts';
import type { UnsavedErrors } from '../claims/unsaved-errors.ts';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import { defined } from '../errors/defined.ts';
import { loadManageable } from '../experiments/access.ts';
import { visibleExperimentIds } from '../experiments/lookup.ts';
import { readableWork, stopWork } from '../experiments/work-access.ts';
import { CursorShape, decodeCursor, toPage } from '../paging/pages.ts';
import { checkSource } from '../sources/source-rules.ts';
import { requireAcceptingWork } from '../storage/lifecycle.ts';
import { checkTransferDirectories } from '../transfer/transfer-request.ts';
import type { CreateUploadBody, Upload, UploadListQuery } from './schemas.ts';
import { publishUploadStatus } from './status-events.ts';
import * as store from './store.ts';

export function createUploadService(
  context: ServiceContext,
  runner: { wake(): void; unsaved: UnsavedErrors },
) {
  const wakeRunner = runner.wake;
  const { db } = context;

  function present(row: store.UploadRecord): Upload {
    const start = row.start_time ? Date.parse(row.start_time) : undefined;
    const end = row.end_time ? Date.parse(row.end_time) : Date.parse(context.now());
    const finished = row.status === 'done';
    return {
      id: row.id,
      experimentName: row.experiment_name,
      dataDirectory: row.data_directory,
      destDirectory: row.dest_directory,
      reprocess: row.reprocess === 1,
      status: row.status,
      nFiles: row.n_files,
      nProcessedFiles: row.n_processed_files,
      nSkippedFiles: row.n_skipped_files,
      nProcessingErrors: row.n_processing_errors,
      nBytes: row.n_bytes,
      nProcessedBytes: row.n_processed_bytes,
      percentageComplete:
        row.n_files > 0 ? Math.round((1000 * row.n_processed_files) / row.n_files) / 10 : finished ? 100 : 0,
      lastError: runner.unsaved.lastError(row.id, row.last_error),
      errors: decodeJson<{ path: string; error: string }[]>(context.profile, row.errors),
      createdBy: row.created_by,
      submissionTime: row.submitted_at,
      startTime: row.start_time,
      endTime: row.end_time,
      runTime: start === undefined ? null : Math.max(0, (end - start) / 1000),
    };
  }

  async function readable(actor: Actor, id: number): Promise<store.UploadRecord> {
    return readableWork(context, actor, 'upload', id, await store.findUpload(db, id));
  }

  return {
    /**
     * Staff only (admins, the station's managers), and only from where the station's sources may be read
     * (sources/source-rules.ts): below its source roots and as its unix account may, unless an admin asks.
     */
    async create(actor: Actor, body: CreateUploadBody): Promise<Upload> {
      const experiment = await loadManageable(context, actor, body.experiment);
      const source = await checkSource(context, actor, experiment, body.dataDirectory, { onServer: true });
      const destDirectory = await checkTransferDirectories(context, experiment, body);
      const now = context.now();
      const id = await db.transaction().execute(async (trx) => {
        await requireAcceptingWork(trx, experiment);
        const inserted = await store.insertUpload(trx, {
          experimentId: experiment.id,
          dataDirectory: body.dataDirectory,
          destDirectory,
          reprocess: body.reprocess ?? false,
          createdBy: actor.principal.username,
          sourceAccount: source.sourceAccount,
          now,
        });
        await recordAudit(trx, auditWho(actor, now), {
          action: 'upload.start',
          targetType: 'upload',
          targetName: String(inserted),
          stationName: experiment.station_name,
          experimentName: experiment.name,
          details: { ...body },
        });
        await publishUploadStatus(context, trx, inserted, 'pending', null);
        return inserted;
      });
      wakeRunner();
      return present(defined(await store.findUpload(db, id), `upload ${id}`));
    },

    async list(actor: Actor, query: UploadListQuery) {
      const rows = await store.listUploads(db, {
        experimentIds: actor.principal.isAdmin
          ? undefined
          : await visibleExperimentIds(db, actor.principal.userId),
        experimentName: query.experiment,
        status: query.status,
        beforeId: decodeCursor(query.cursor, CursorShape.id),
        limit: query.limit,
      });
      return toPage(rows, query.limit, (row) => row.id, present);
    },

    async show(actor: Actor, id: number): Promise<Upload> {
      return present(await readable(actor, id));
    },

    async stop(actor: Actor, id: number): Promise<Upload> {
      const row = await readable(actor, id);
      await stopWork(context, actor, 'upload', row, {
        end: (trx, now) => store.abortUpload(trx, id, now),
        publish: (trx) => publishUploadStatus(context, trx, id, 'aborted', row.status),
      });
      return present(defined(await store.findUpload(db, id), `upload ${id}`));
    },
  };
}

export type UploadService = ReturnType<typeof createUploadService>;
