/**
 * Sends one file to the server over HTTP: offer (does the catalog have it? how many bytes are held?),
 * stream the rest while hashing the whole file, commit with MD5 and SHA-256. A dropped connection resumes
 * from the bytes the server holds; a checksum the server refuses means sending it again from the start.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, type DaqAgentFileVersion, type PhotonClient } from '@photon-dm/client';
import type { SourceFile } from '../finder/source-files.ts';
import { SourceChangedError, SourceMissingError } from '../transfer/errors.ts';

/** Attempts after the server refused the checksums before the file is reported as failed. */
const checksumAttempts = 3;
/** Interruptions (dropped connection, server restarting) ridden out for one file before giving up. */
const interruptionRetries = 30;

export interface SendContext {
  client: PhotonClient;
  daqId: number;
  owner: string;
  isStopping(): boolean;
}

/** Not this file's fault: the server could not be reached or was restarting. */
export function isInterruption(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    (error.status === 0 || error.status === 502 || error.status === 503 || error.code === 'invalid_response')
  );
}

/** A send cut short, or the server holding other bytes than assumed: ask again what it holds and resume. */
export function isBrokenSend(error: unknown): boolean {
  return (
    isInterruption(error) ||
    (error instanceof ApiError && (error.code === 'upload_interrupted' || error.code === 'staging_mismatch'))
  );
}

/** Runs `call`, waiting out interruptions (with a growing pause) until it answers or the agent stops. */
export async function riding<T>(
  context: SendContext,
  call: () => Promise<T>,
  retryable: (error: unknown) => boolean = isInterruption,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await call();
    } catch (error) {
      if (!retryable(error) || retry >= interruptionRetries || context.isStopping()) throw error;
      await sleep(Math.min(2_000, 100 * 2 ** Math.min(retry, 5)));
    }
  }
}

/**
 * @example
 * const outcome = await sendOverHttp(context, file); // 'taken' or 'skipped'
 */
export async function sendOverHttp(context: SendContext, file: SourceFile): Promise<'taken' | 'skipped'> {
  const { client, daqId } = context;
  const version: DaqAgentFileVersion = {
    owner: context.owner,
    relativePath: file.relativePath,
    size: file.size,
    mtime: new Date(file.mtimeMs).toISOString(),
  };
  for (let attempt = 1; ; attempt++) {
    const checksums = await riding(
      context,
      async () => {
        const offer = await client.daqAgents.offer(daqId, version);
        return offer.action === 'skip' ? undefined : sendFrom(context, file, version, offer.held);
      },
      isBrokenSend,
    );
    if (checksums === undefined) return 'skipped';
    try {
      await riding(context, () => client.daqAgents.commit(daqId, { ...version, ...checksums }));
      return 'taken';
    } catch (error) {
      // checksum_mismatch: the server discarded the staged bytes; staging_mismatch: it holds fewer than
      // were sent (a restart lost unflushed bytes). Either way, offer and send again.
      const resend =
        error instanceof ApiError &&
        (error.code === 'checksum_mismatch' || error.code === 'staging_mismatch');
      if (resend && attempt < checksumAttempts) continue;
      throw error;
    }
  }
}

/** Reads the whole file (hashing it) and sends the bytes from `held` on; returns the file's checksums. */
export async function sendFrom(
  context: SendContext,
  file: SourceFile,
  version: DaqAgentFileVersion,
  held: number,
): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let read = 0;
  async function* bytesFrom(offset: number) {
    // Sized to the file when small: a 1 MiB buffer for each 64 KB frame is mostly garbage to collect.
    const highWaterMark = Math.min(1024 * 1024, version.size + 1);
    const stream = createReadStream(file.absolutePath, { highWaterMark });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      md5.update(chunk);
      sha256.update(chunk);
      const start = read;
      read += chunk.length;
      if (read > offset) yield start >= offset ? chunk : chunk.subarray(offset - start);
    }
  }
  const before = await statOf(file.absolutePath);
  if (held < version.size) {
    await context.client.daqAgents.send(context.daqId, { ...version, offset: held }, bytesFrom(held));
  } else {
    for await (const _ of bytesFrom(Number.POSITIVE_INFINITY));
  }
  const after = await statOf(file.absolutePath);
  // The file must be what was offered, start to end: else it was still being written.
  if (
    read !== version.size ||
    before.size !== after.size ||
    before.mtimeMs !== after.mtimeMs ||
    after.size !== file.size
  )
    throw new SourceChangedError(file.absolutePath, 1);
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
}

async function statOf(path: string) {
  return stat(path).catch((error: unknown) => {
    throw new SourceMissingError(path, { cause: error });
  });
}
