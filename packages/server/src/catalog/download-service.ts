import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { AppError, invalidField } from '../errors/app-error.ts';
import { loadReadable } from '../experiments/access.ts';
import { currentDownloadKey } from '../secrets/service.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import { resolveInside } from '../transfer/safe-path.ts';
import { findUserById } from '../users/lookup.ts';
import { type FileContent, openFileContent } from './content.ts';
import { type DownloadGrant, signDownload, verifyDownload } from './download-links.ts';
import { findFile } from './file-records.ts';
import type { DownloadLinks } from './schemas.ts';
import { type ArchiveMember, tarArchive } from './tar-archive.ts';

export const downloadRoute = '/api/v1/downloads';
/** A link longer than this would not fit in a request line (Node's limit is 16 kB for all headers). */
const maxLinkLength = 8192;

export type Download =
  | { kind: 'file'; fileName: string; content: FileContent }
  | { kind: 'archive'; fileName: string; stream: NodeJS.ReadableStream };

/** Signed links for browsers (download-links.ts), and what following one yields. */
export function createDownloadService(context: ServiceContext) {
  // Read for every link, not kept: another host may have rotated it (secrets/service.ts).
  const secretOf = () => currentDownloadKey(context);
  const nowSeconds = () => Math.floor(Date.parse(context.now()) / 1000);
  const urlOf = (link: string) => `${downloadRoute}?link=${encodeURIComponent(link)}`;

  /** The user a link was signed for, as they are now: a disabled or deleted account downloads nothing. */
  async function actorOf(grant: DownloadGrant, requestId: string): Promise<Actor> {
    const user = await findUserById(context.db, grant.userId);
    if (!user || user.disabled_at !== null)
      throw new AppError('download_link_invalid', 'the account this link was made for can no longer sign in');
    return {
      principal: { userId: user.id, username: user.username, isAdmin: user.is_admin === 1, tokenId: 0 },
      requestId,
    };
  }

  return {
    async createLinks(
      actor: Actor,
      experimentName: string,
      input: { paths: string[]; expiresInSeconds: number },
    ): Promise<DownloadLinks> {
      const experiment = await loadReadable(context, actor, experimentName);
      const paths = [...new Set(input.paths)];
      for (const path of paths) {
        if (!(await findFile(context.db, experiment.id, path)))
          throw invalidField('paths', `no file "${path}" in experiment "${experimentName}"`);
      }
      const key = await secretOf();
      const expiresAt = nowSeconds() + input.expiresInSeconds;
      const sign = (chosen: string[]) =>
        signDownload(key, {
          experimentName,
          paths: chosen,
          userId: actor.principal.userId,
          expiresAt,
        });
      const files = paths.map((path) => ({ path, fileName: basename(path), url: urlOf(sign([path])) }));
      let archive: DownloadLinks['archive'] = null;
      if (paths.length > 1) {
        const link = sign(paths);
        if (link.length > maxLinkLength)
          throw invalidField(
            'paths',
            `${paths.length} paths are too many for one archive link: select fewer, or shorter paths`,
          );
        archive = { fileName: `${experimentName}.tar`, url: urlOf(link) };
      }
      return { expiresAt: new Date(expiresAt * 1000).toISOString(), files, archive };
    },

    /** Follows a link: checks the signature, the expiry, and that its user may still read the experiment. */
    async open(link: string, range: string | undefined, requestId: string): Promise<Download> {
      const grant = verifyDownload(await secretOf(), link, nowSeconds());
      const actor = await actorOf(grant, requestId);
      const [first] = grant.paths;
      if (grant.paths.length === 1 && first !== undefined) {
        const content = await openFileContent(context, actor, grant.experimentName, first, range);
        return { kind: 'file', fileName: basename(first), content };
      }
      const experiment = await loadReadable(context, actor, grant.experimentName);
      const { dataDirectory } = pathsOf(context, experiment);
      // Everything is checked before the first byte: a missing file is a clean 404, not a broken archive.
      const members: ArchiveMember[] = [];
      for (const path of grant.paths) {
        const record = await findFile(context.db, experiment.id, path);
        if (!record) throw new AppError('file_not_found', `no file "${path}" any more`, { path });
        const storagePath = await resolveInside(dataDirectory, record.path);
        const info = await stat(storagePath).catch(() => undefined);
        if (!info)
          throw new AppError('storage_unavailable', `"${path}" is cataloged but missing from storage`, {
            path,
          });
        members.push({
          name: `${experiment.name}/${record.path}`,
          storagePath,
          size: info.size,
          mtime: info.mtime,
        });
      }
      return {
        kind: 'archive',
        fileName: `${experiment.name}.tar`,
        stream: tarArchive(members, context.logger),
      };
    },
  };
}

export type DownloadService = ReturnType<typeof createDownloadService>;
