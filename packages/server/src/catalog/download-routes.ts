import type { FastifyReply } from 'fastify';
import { actorOf } from '../http/actor.ts';
import { NameParams } from '../http/schemas.ts';
import type { HttpServer } from '../http/server.ts';
import type { FileContent } from './content.ts';
import { type DownloadService, downloadRoute } from './download-service.ts';
import { DownloadLinks, DownloadLinksBody, DownloadQuery } from './schemas.ts';

/**
 * Downloads for browsers: `POST .../files/download-links` (with the token) returns signed URLs, and
 * `GET /api/v1/downloads?link=` (public: the link is its own proof) serves one file or a tar of several.
 */
export function registerDownloadRoutes(app: HttpServer, downloads: DownloadService): void {
  app.post(
    '/api/v1/experiments/:name/files/download-links',
    {
      schema: {
        tags: ['files'],
        summary: 'Signed, short-lived URLs to download files without a token (for browsers)',
        params: NameParams,
        body: DownloadLinksBody,
        response: { 200: DownloadLinks },
      },
    },
    (request) => downloads.createLinks(actorOf(request), request.params.name, request.body),
  );
  app.get(
    downloadRoute,
    {
      // The link is the credential: refused (403), expired (410); the storage may not answer (503).
      config: { public: true, errors: [403, 410, 503] },
      schema: {
        tags: ['files'],
        summary: 'Follow a download link: one file (Range supported) or a tar archive of several',
        querystring: DownloadQuery,
      },
    },
    async (request, reply) => {
      const download = await downloads.open(request.query.link, request.headers.range, request.id);
      // The name the browser saves under; a link is never cached, since it grants access until it expires.
      void reply
        .header('content-disposition', contentDisposition(download.fileName))
        .header('cache-control', 'private, no-store');
      switch (download.kind) {
        case 'file':
          return sendContent(reply, download.content);
        case 'archive':
          return reply.header('content-type', 'application/x-tar').send(download.stream);
        default: {
          const never: never = download;
          return never;
        }
      }
    },
  );
}

/** The bytes of a file, whole or a range, with its checksums (also for `GET .../file/content`). */
export function sendContent(reply: FastifyReply, content: FileContent) {
  void reply
    .header('content-type', 'application/octet-stream')
    .header('accept-ranges', 'bytes')
    .header('x-dm-md5', content.md5)
    .header('x-dm-sha256', content.sha256)
    .header('etag', `"${content.sha256}"`);
  if (content.range) {
    const [first, last] = content.range;
    void reply
      .status(206)
      .header('content-range', `bytes ${first}-${last}/${content.size}`)
      .header('content-length', last - first + 1);
  } else {
    void reply.header('content-length', content.size);
  }
  return reply.send(content.stream);
}

/** RFC 6266: an ASCII fallback name, and the exact name in UTF-8 for browsers that read `filename*`. */
function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
