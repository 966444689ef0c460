/**
 * What a runner reads a transfer's source through, once it has taken the transfer up: the directory's
 * real path (rechecked against the rules now, source-rules.ts) and which of its files the transfer's unix
 * account may not read. An upload asks once for its whole tree; a DAQ, whose files keep coming, asks once
 * per batch it is about to take. An admin's transfer (no account) reads with the server's rights.
 */
import { lstat } from 'node:fs/promises';
import type { ServiceContext } from '../context.ts';
import { isBelowAny, type Reader, readerFor, unreadableAmong, unreadableBelow } from './read-check.ts';
import { recheckSource } from './source-rules.ts';

export interface TransferSource {
  dataDirectory: string;
  sourceAccount: string | null;
  stationId: number;
}

/** The error of a file the account may not read: reported in the transfer's errors, never copied. */
export function unreadableFile(account: string): Error {
  return new Error(`the station's unix account "${account}" may not read this file; it was not taken`);
}

/**
 * Throws (its message becomes the upload's lastError) when the directory may no longer be read at all.
 *
 * @example
 * const source = await openUploadSource(context, { dataDirectory, sourceAccount, stationId });
 * const files = await listSourceFiles(source.root);
 * const refused = files.filter((file) => source.refusal(file.absolutePath) !== undefined);
 */
export async function openUploadSource(
  context: ServiceContext,
  transfer: TransferSource,
): Promise<{ root: string; refusal(absolutePath: string): Error | undefined }> {
  const { root, reader, account } = await open(context, transfer);
  if (reader === undefined || account === null) return { root, refusal: () => undefined };
  const unreadable = await unreadableBelow(root, reader);
  return {
    root,
    refusal: (absolutePath) => (isBelowAny(absolutePath, unreadable) ? unreadableFile(account) : undefined),
  };
}

/**
 * @example
 * const source = await openDaqSource(context, transfer);
 * const refused = await source.unreadable(batch.map((settled) => settled.file.absolutePath));
 */
export async function openDaqSource(
  context: ServiceContext,
  transfer: TransferSource,
): Promise<{ root: string; account: string | null; unreadable(paths: string[]): Promise<Set<string>> }> {
  const { root, reader, account } = await open(context, transfer);
  return {
    root,
    account,
    async unreadable(paths) {
      if (reader === undefined || paths.length === 0) return new Set();
      const refused = [...(await unreadableAmong(paths, reader))];
      // A file that vanished since it was seen is not the account's fault: the copy reports it as missing.
      const present = await Promise.all(
        refused.map((path) =>
          lstat(path).then(
            () => true,
            () => false,
          ),
        ),
      );
      return new Set(refused.filter((_, index) => present[index]));
    },
  };
}

async function open(
  context: ServiceContext,
  transfer: TransferSource,
): Promise<{ root: string; reader: Reader | undefined; account: string | null }> {
  const root = await recheckSource(context, transfer);
  const account = transfer.sourceAccount;
  if (account === null) return { root, reader: undefined, account };
  const reader = await readerFor(account);
  if ((await unreadableAmong([root], reader)).has(root))
    throw new Error(`the station's unix account "${account}" may not read ${root}`);
  return { root, reader, account };
}
