/**
 * Small files over HTTP in batches: one `files/offers` request for the batch, each file's bytes in its own
 * content PUT (streamed, resumable, as a single file's), one `files/commits` request, which the server
 * verifies file by file and catalogs together. Per file, three round trips become one plus two per batch.
 * What a batch cannot settle (a send cut short, checksums refused, a commit the server lost track of) is
 * sent again alone through the single-file path (http-sender.ts), which knows how to resume and retry.
 */
import { ApiError, type DaqAgentFileVersion } from '@photon-dm/client';
import { defined } from '../errors/defined.ts';
import type { SourceFile } from '../finder/source-files.ts';
import { isBrokenSend, riding, type SendContext, sendFrom, sendOverHttp } from './http-sender.ts';

/** Content PUTs of one batch in flight at once. */
const sendsAtOnce = 4;

/** Refusals after which the file is sent again alone (re-offered, resumed), not reported as failed. */
const sendAgainAlone = new Set(['checksum_mismatch', 'staging_mismatch', 'upload_interrupted']);

/**
 * Batches are cut as the server's DAQ cuts them (take/batches.ts). One result per file, in order. Throws
 * (for the whole batch) when the batch requests themselves fail: the server away for longer than they ride
 * out, the lease lost, or a server too old for batches (404 `route_not_found`: send the files one at a
 * time).
 *
 * @example
 * const results = await sendBatchOverHttp(context, files); // [{ status: 'fulfilled', value: 'taken' }, ...]
 */
export async function sendBatchOverHttp(
  context: SendContext,
  files: readonly SourceFile[],
): Promise<PromiseSettledResult<'taken' | 'skipped'>[]> {
  const { client, daqId, owner } = context;
  const versions = files.map((file) => ({
    relativePath: file.relativePath,
    size: file.size,
    mtime: new Date(file.mtimeMs).toISOString(),
  }));
  const { offers } = await riding(context, () => client.daqAgents.offers(daqId, { owner, files: versions }));
  const results: PromiseSettledResult<'taken' | 'skipped'>[] = [];
  const sent: { index: number; md5: string; sha256: string }[] = [];
  const sendOne = async (index: number) => {
    const file = defined(files[index], `file ${index}`);
    if (offers[index]?.action === 'skip') {
      results[index] = { status: 'fulfilled', value: 'skipped' };
      return;
    }
    const version: DaqAgentFileVersion = { owner, ...defined(versions[index], `version ${index}`) };
    try {
      sent.push({ index, ...(await sendFrom(context, file, version, offers[index]?.held ?? 0)) });
    } catch (error) {
      results[index] = isBrokenSend(error)
        ? await alone(context, file)
        : { status: 'rejected', reason: error };
    }
  };
  // A few sends at once: one alone waits on each round trip, and the server's side of a small file is short.
  let next = 0;
  const sender = async () => {
    while (next < files.length) await sendOne(next++);
  };
  await Promise.all(Array.from({ length: Math.min(sendsAtOnce, files.length) }, sender));
  sent.sort((a, b) => a.index - b.index);
  if (sent.length === 0) return results;
  const committed = await riding(context, () =>
    client.daqAgents.commits(daqId, {
      owner,
      files: sent.map(({ index, md5, sha256 }) => ({
        ...defined(versions[index], `version ${index}`),
        md5,
        sha256,
      })),
    }),
  );
  for (const [position, { index }] of sent.entries()) {
    const result = committed.results[position];
    if (result?.status === 'taken') results[index] = { status: 'fulfilled', value: 'taken' };
    else if (result === undefined || sendAgainAlone.has(result.error.code))
      results[index] = await alone(context, defined(files[index], `file ${index}`));
    else
      results[index] = {
        status: 'rejected',
        // The batch request itself succeeded (200); the file's refusal is what the single commit would say.
        reason: new ApiError(200, result.error.code, result.error.message, result.error.details),
      };
  }
  return results;
}

async function alone(
  context: SendContext,
  file: SourceFile,
): Promise<PromiseSettledResult<'taken' | 'skipped'>> {
  return sendOverHttp(context, file).then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
}
