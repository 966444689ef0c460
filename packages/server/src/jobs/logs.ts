/**
 * Reading a job's logs as they grow. Each child process writes its own file (parallel ones write at the same
 * time), so the cursor holds a byte offset per file; a reader that comes back with it gets only what is new.
 */
import { open } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import type { JobProcessRow } from '../db/job-tables.ts';
import { isCode } from '../errors/error-code.ts';
import { decodeCursor, encodeCursor } from '../paging/pages.ts';
import { cleanText } from './child-process.ts';
import type { JobLog } from './schemas.ts';

/** Per answer, so following a chatty job stays responsive and memory stays bounded. */
const maxBytesPerAnswer = 1024 * 1024;

type Offsets = Record<string, number>;

/** A byte offset per log file name (the process' own file, see readJobLogs). */
const OffsetsShape = Type.Record(
  Type.String({ maxLength: 255 }),
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
);

function decode(cursor: string | undefined): Offsets {
  return decodeCursor(cursor, OffsetsShape) ?? {};
}

/** Bytes up to the last complete UTF-8 character, so a character split between two reads is not mangled. */
function completeCharacters(bytes: Buffer): Buffer {
  let end = bytes.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const byte = bytes[end - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    if (needed > back) end -= back;
    break;
  }
  return bytes.subarray(0, end);
}

async function readFrom(path: string, offset: number, budget: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const buffer = Buffer.alloc(budget);
    const { bytesRead } = await handle.read(buffer, 0, budget, offset);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return Buffer.alloc(0);
    throw error;
  } finally {
    await handle?.close();
  }
}

export async function readJobLog(
  processes: JobProcessRow[],
  cursor: string | undefined,
  jobEnded: boolean,
): Promise<JobLog> {
  const offsets = decode(cursor);
  const entries: JobLog['entries'] = [];
  let budget = maxBytesPerAnswer;
  let exhausted = true;
  for (const process of processes) {
    const key = `${process.stage_key}/${process.number}`;
    const offset = offsets[key] ?? 0;
    if (budget <= 0) {
      exhausted = false;
      break;
    }
    const bytes = await readFrom(process.log_file, offset, budget);
    const whole = bytes.length < budget ? bytes : completeCharacters(bytes);
    if (bytes.length >= budget) exhausted = false;
    if (whole.length === 0) continue;
    offsets[key] = offset + whole.length;
    budget -= whole.length;
    entries.push({ stage: process.stage_key, childProcessNumber: process.number, text: cleanText(whole) });
  }
  return {
    entries,
    cursor: encodeCursor(offsets),
    complete: jobEnded && exhausted && processes.every((p) => p.end_time !== null),
  };
}
