import type { Kysely } from 'kysely';
import { statusesBefore } from '../claims/transitions.ts';
import type { Database, UploadRow, UploadStatus } from '../db/tables.ts';
import { uploadTransitions } from './transitions.ts';

export interface UploadRecord extends UploadRow {
  experiment_name: string;
}

function selectUploads(db: Kysely<Database>) {
  return db
    .selectFrom('uploads as u')
    .innerJoin('experiments as e', 'e.id', 'u.experiment_id')
    .selectAll('u')
    .select('e.name as experiment_name');
}

export async function insertUpload(
  db: Kysely<Database>,
  values: {
    experimentId: number;
    dataDirectory: string;
    destDirectory: string;
    reprocess: boolean;
    createdBy: string;
    /** The account its source is checked as; null for an admin's upload. */
    sourceAccount: string | null;
    now: string;
  },
): Promise<number> {
  const row = await db
    .insertInto('uploads')
    .values({
      experiment_id: values.experimentId,
      data_directory: values.dataDirectory,
      dest_directory: values.destDirectory,
      reprocess: values.reprocess ? 1 : 0,
      status: 'pending',
      n_files: 0,
      n_processed_files: 0,
      n_skipped_files: 0,
      n_processing_errors: 0,
      n_bytes: 0,
      n_processed_bytes: 0,
      errors: '[]',
      created_by: values.createdBy,
      source_account: values.sourceAccount,
      submitted_at: values.now,
      updated_at: values.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function findUpload(db: Kysely<Database>, id: number): Promise<UploadRecord | undefined> {
  return selectUploads(db).where('u.id', '=', id).executeTakeFirst();
}

export async function listUploads(
  db: Kysely<Database>,
  filter: {
    experimentIds?: number[];
    experimentName?: string;
    status?: UploadStatus;
    beforeId?: number;
    limit: number;
  },
): Promise<UploadRecord[]> {
  let query = selectUploads(db)
    .orderBy('u.id', 'desc')
    .limit(filter.limit + 1);
  if (filter.experimentIds !== undefined) {
    if (filter.experimentIds.length === 0) return [];
    query = query.where('u.experiment_id', 'in', filter.experimentIds);
  }
  if (filter.experimentName !== undefined) query = query.where('e.name', '=', filter.experimentName);
  if (filter.status !== undefined) query = query.where('u.status', '=', filter.status);
  if (filter.beforeId !== undefined) query = query.where('u.id', '<', filter.beforeId);
  return query.execute();
}

export interface Progress {
  n_files?: number;
  n_bytes?: number;
  n_processed_files: number;
  n_skipped_files: number;
  n_processing_errors: number;
  n_processed_bytes: number;
  last_error: string | null;
  errors: string;
}

/** Saves progress and renews the lease, as long as this process still owns a running upload. */
export async function saveProgress(
  db: Kysely<Database>,
  id: number,
  owner: string,
  progress: Progress,
  now: string,
  leaseUntil: string,
): Promise<boolean> {
  const result = await db
    .updateTable('uploads')
    .set({ ...progress, lease_expires_at: leaseUntil, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function finishUpload(
  db: Kysely<Database>,
  id: number,
  owner: string,
  status: 'done' | 'failed',
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('uploads')
    .set({ status, end_time: now, lease_owner: null, lease_expires_at: null, updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', statusesBefore(uploadTransitions, status))
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function abortUpload(db: Kysely<Database>, id: number, now: string): Promise<boolean> {
  const result = await db
    .updateTable('uploads')
    .set({ status: 'aborted', end_time: now, lease_owner: null, lease_expires_at: null, updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', statusesBefore(uploadTransitions, 'aborted'))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
