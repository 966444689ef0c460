import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { actorOf } from '../http/actor.ts';
import { NameParams } from '../http/schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { Page } from '../paging/pages.ts';
import { openFileContent } from './content.ts';
import { sendContent } from './download-routes.ts';
import {
  CatalogFile,
  DeleteFilesBody,
  FileListQuery,
  FilePathQuery,
  FileSearchQuery,
  MetadataKey,
  UpdateFileBody,
} from './schemas.ts';
import type { CatalogService } from './service.ts';

/**
 * The catalog of an experiment's files. One file is addressed by `?path=` rather than a path suffix, so
 * that no file name (`count`, `keys`) can collide with a route.
 */
export function registerCatalogRoutes(
  app: HttpServer,
  catalog: CatalogService,
  context: ServiceContext,
): void {
  const tags = ['files'];
  const base = '/api/v1/experiments/:name';

  app.get(
    `${base}/files`,
    {
      schema: {
        tags,
        summary: 'List and search the files of an experiment',
        params: NameParams,
        querystring: FileListQuery,
        response: { 200: Page(CatalogFile) },
      },
    },
    (request) => catalog.list(actorOf(request), request.params.name, request.query),
  );
  app.get(
    `${base}/files/count`,
    {
      schema: {
        tags,
        summary: 'Count the files matching a search, exactly',
        params: NameParams,
        querystring: FileSearchQuery,
        response: { 200: Type.Object({ count: Type.Integer() }) },
      },
    },
    (request) => catalog.count(actorOf(request), request.params.name, request.query),
  );
  app.get(
    `${base}/files/keys`,
    {
      schema: {
        tags,
        summary: 'Every metadata key of the experiment, with how many files carry it',
        params: NameParams,
        response: { 200: Type.Object({ items: Type.Array(MetadataKey) }) },
      },
    },
    (request) => catalog.keys(actorOf(request), request.params.name),
  );
  app.post(
    `${base}/files/delete`,
    {
      schema: {
        tags,
        summary: 'Remove files from storage and the catalog (staff)',
        params: NameParams,
        body: DeleteFilesBody,
        response: { 200: Type.Object({ deleted: Type.Integer() }) },
      },
    },
    (request) => catalog.delete(actorOf(request), request.params.name, request.body.paths),
  );
  app.get(
    `${base}/file`,
    {
      schema: {
        tags,
        summary: 'Show one file',
        params: NameParams,
        querystring: FilePathQuery,
        response: { 200: CatalogFile },
      },
    },
    (request) => catalog.show(actorOf(request), request.params.name, request.query.path),
  );
  app.patch(
    `${base}/file`,
    {
      schema: {
        tags,
        summary: "Set or remove keys of a file's metadata",
        params: NameParams,
        querystring: FilePathQuery,
        body: UpdateFileBody,
        response: { 200: CatalogFile },
      },
    },
    (request) =>
      catalog.updateMetadata(
        actorOf(request),
        request.params.name,
        request.query.path,
        request.body.metadata,
      ),
  );
  app.get(
    `${base}/file/content`,
    {
      config: { errors: [503] },
      schema: {
        tags,
        summary: 'Download a file; `Range: bytes=N-` resumes. Checksums in x-dm-md5 and x-dm-sha256',
        params: NameParams,
        querystring: FilePathQuery,
      },
    },
    async (request, reply) => {
      const content = await openFileContent(
        context,
        actorOf(request),
        request.params.name,
        request.query.path,
        request.headers.range,
      );
      return sendContent(reply, content);
    },
  );
}
