import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { type TSchema, Type } from '@sinclair/typebox';
import { auditWho, recordAudit } from '../audit/record.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import type { FileRow } from '../db/tables.ts';
import { AppError, invalidField } from '../errors/app-error.ts';
import { loadManageable, loadReadable } from '../experiments/access.ts';
import type { ExperimentRecord } from '../experiments/lookup.ts';
import { CursorShape, decodeCursor, toPage } from '../paging/pages.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import { resolveInside } from '../transfer/safe-path.ts';
import { findFile } from './file-records.ts';
import type { CatalogFile, FileListQuery } from './schemas.ts';
import * as store from './store.ts';
import { parseConditions } from './where.ts';

type Cursor = [string | number, number];

export function createCatalogService(context: ServiceContext) {
  const { db, profile } = context;

  function present(experiment: ExperimentRecord, row: FileRow): CatalogFile {
    return {
      id: row.id,
      experimentName: experiment.name,
      experimentFilePath: row.path,
      fileName: basename(row.path),
      fileSize: row.size,
      fileModificationTime: row.mtime,
      md5Sum: row.md5,
      sha256Sum: row.sha256,
      storageFilePath: `${pathsOf(context, experiment).dataDirectory}/${row.path}`,
      status: row.status,
      source: row.source,
      originType: row.origin_type,
      originId: row.origin_id,
      transferMs: row.transfer_ms,
      metadata: decodeJson<Record<string, unknown>>(profile, row.metadata),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async function existingFile(experiment: ExperimentRecord, path: string): Promise<FileRow> {
    const row = await findFile(db, experiment.id, path);
    if (!row)
      throw new AppError('file_not_found', `no file "${path}" in experiment "${experiment.name}"`, { path });
    return row;
  }

  return {
    async list(actor: Actor, experimentName: string, query: FileListQuery) {
      const experiment = await loadReadable(context, actor, experimentName);
      const descending = query.sort.startsWith('-');
      const sort = query.sort.replace('-', '') as store.SortKey;
      const rows = await store.listFiles(db, profile, {
        experimentId: experiment.id,
        pathGlob: query.pathGlob,
        conditions: parseConditions(query.where ?? []),
        sort,
        descending,
        after: decodeFileCursor(query.cursor, sort),
        limit: query.limit,
      });
      return toPage(
        rows,
        query.limit,
        (row) => [row[sort], row.id],
        (row) => present(experiment, row),
      );
    },

    async count(actor: Actor, experimentName: string, query: { pathGlob?: string; where?: string[] }) {
      const experiment = await loadReadable(context, actor, experimentName);
      const count = await store.countFiles(db, profile, {
        experimentId: experiment.id,
        pathGlob: query.pathGlob,
        conditions: parseConditions(query.where ?? []),
      });
      return { count };
    },

    async keys(actor: Actor, experimentName: string) {
      const experiment = await loadReadable(context, actor, experimentName);
      return { items: await store.metadataKeys(db, experiment.id) };
    },

    async show(actor: Actor, experimentName: string, path: string): Promise<CatalogFile> {
      const experiment = await loadReadable(context, actor, experimentName);
      return present(experiment, await existingFile(experiment, path));
    },

    /** Members annotate their own data; the keys read from the file itself may be overridden too. */
    async updateMetadata(
      actor: Actor,
      experimentName: string,
      path: string,
      changes: Record<string, unknown>,
    ) {
      const experiment = await loadReadable(context, actor, experimentName);
      const row = await existingFile(experiment, path);
      const metadata = decodeJson<Record<string, unknown>>(profile, row.metadata);
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) delete metadata[key];
        else metadata[key] = value;
      }
      const now = context.now();
      await db.transaction().execute(async (trx) => {
        await store.setMetadata(trx, profile, row.id, metadata, now);
        await recordAudit(trx, auditWho(actor, now), {
          action: 'file.update',
          targetType: 'file',
          targetName: path,
          stationName: experiment.station_name,
          experimentName: experiment.name,
          details: { metadata: changes },
        });
      });
      return present(experiment, { ...row, metadata, updated_at: now });
    },

    /**
     * Removes files from storage and the catalog (staff only). The storage file goes first: a crash in
     * between leaves a record whose file is gone, which a re-run of the same delete finishes, rather
     * than an uncataloged file nobody knows to delete.
     */
    async delete(actor: Actor, experimentName: string, paths: string[]) {
      const experiment = await loadManageable(context, actor, experimentName);
      const { dataDirectory } = pathsOf(context, experiment);
      const found: string[] = [];
      for (const path of paths) {
        if (!(await findFile(db, experiment.id, path))) throw invalidField('paths', `no file "${path}"`);
        found.push(path);
      }
      for (const path of found) await rm(await resolveInside(dataDirectory, path), { force: true });
      const now = context.now();
      const deleted = await db.transaction().execute(async (trx) => {
        const count = await store.deleteFileRecords(trx, profile, experiment.id, found);
        await recordAudit(trx, auditWho(actor, now), {
          action: 'file.delete',
          targetType: 'file',
          targetName: found.length === 1 ? (found[0] ?? '') : `${found.length} files`,
          stationName: experiment.station_name,
          experimentName: experiment.name,
          details: { paths: found.slice(0, 100), count: found.length },
        });
        return count;
      });
      return { deleted };
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;

/** The sort value of the last row shown (its type follows the sort key), then its id, which breaks ties. */
const fileCursorShapes: Record<store.SortKey, TSchema> = {
  path: Type.Tuple([Type.String({ maxLength: 4096 }), CursorShape.id]),
  size: Type.Tuple([Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), CursorShape.id]),
  mtime: Type.Tuple([Type.String({ maxLength: 64 }), CursorShape.id]),
};

function decodeFileCursor(cursor: string | undefined, sort: store.SortKey): Cursor | undefined {
  return decodeCursor(cursor, fileCursorShapes[sort]) as Cursor | undefined;
}
