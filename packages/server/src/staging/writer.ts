/**
 * Writes the bodies DAQ agents send into their staging files, one request per file at a time.
 *
 * When an agent's connection drops, the server may still be reading the dead request while the agent
 * asks how much is held and sends the rest: the newer request (or the offer) aborts the older one and
 * waits for it to finish, so two requests never write the same staging file and `held` is the truth.
 */

import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors/app-error.ts';
import { isCode } from '../errors/error-code.ts';

async function sizeOf(file: string): Promise<number> {
  const info = await stat(file).catch((error: unknown) => {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  });
  return info?.size ?? 0;
}

/**
 * @example
 * const writer = createStagingWriter();
 * const held = await writer.append(file, stagingId, { offset: 0, size: 1024, body: request.raw });
 */
export function createStagingWriter() {
  const active = new Map<number, { controller: AbortController; done: Promise<void> }>();

  /**
   * Stops the requests still writing this staging file, if any, and waits until they have. Returns with
   * no writer registered; a caller that registers one before its next `await` is then the only writer.
   */
  async function quiesce(id: number): Promise<void> {
    for (let writing = active.get(id); writing !== undefined; writing = active.get(id)) {
      writing.controller.abort();
      await writing.done;
    }
  }

  async function write(file: string, size: number, body: Readable, signal: AbortSignal) {
    let received = await sizeOf(file);
    await mkdir(dirname(file), { recursive: true, mode: 0o770 });
    await pipeline(
      body,
      async function* limit(chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          received += chunk.length;
          if (received > size)
            throw new AppError('validation_failed', `the body goes beyond the file's ${size} bytes`);
          yield chunk;
        }
      },
      createWriteStream(file, { flags: 'a', mode: 0o660 }),
      { signal },
    );
  }

  return {
    /** Bytes held of this staging file (once no request writes it). */
    async held(file: string, id: number): Promise<number> {
      await quiesce(id);
      return sizeOf(file);
    },

    /** An empty file has no body to send: its staging file is made empty here. */
    async ensureEmpty(file: string, id: number): Promise<void> {
      await quiesce(id);
      await mkdir(dirname(file), { recursive: true, mode: 0o770 });
      await writeFile(file, '', { flag: 'a', mode: 0o660 });
    },

    async discard(file: string, id: number): Promise<void> {
      await quiesce(id);
      await rm(file, { force: true });
    },

    /** Appends `body` at `offset`, which must be the bytes held; returns the bytes held afterwards. */
    async append(
      file: string,
      id: number,
      request: { offset: number; size: number; body: Readable },
    ): Promise<number> {
      const controller = new AbortController();
      let finished = () => {};
      const done = new Promise<void>((resolve) => {
        finished = resolve;
      });
      await quiesce(id);
      // Registered before the next await: a request arriving later stops this one before it writes.
      active.set(id, { controller, done });
      try {
        const held = await sizeOf(file);
        if (request.offset !== held) {
          throw new AppError(
            'staging_mismatch',
            `the server holds ${held} bytes of this file, not ${request.offset}`,
            { held },
          );
        }
        await write(file, request.size, request.body, controller.signal);
      } catch (error) {
        if (error instanceof AppError) throw error;
        const now = await sizeOf(file);
        if (controller.signal.aborted)
          throw new AppError('staging_mismatch', 'a newer request for this file took over', { held: now });
        const code = (error as { code?: unknown }).code;
        if (code === 'ENOSPC' || code === 'EDQUOT') {
          // Not the agent's fault: it keeps the file and sends the rest once space returns.
          throw new AppError('storage_full', `the server's storage is full after ${now} bytes`, {
            held: now,
          });
        }
        const reason = error instanceof Error ? error.message : String(error);
        throw new AppError('upload_interrupted', `the body stopped after ${now} bytes: ${reason}`, {
          held: now,
        });
      } finally {
        if (active.get(id)?.controller === controller) active.delete(id);
        finished();
      }
      return sizeOf(file);
    },
  };
}

export type StagingWriter = ReturnType<typeof createStagingWriter>;
