/**
 * Where an upload or a DAQ may read (issue 10): below one of its station's source roots, after symbolic
 * links are resolved; never the storage root or the server's own files (system/protected-paths.ts), whoever asks;
 * and only what the station's unix account may read (read-check.ts). Admins may name other directories
 * than the roots, and their transfers read with the server's rights, but the protected paths stay closed.
 *
 * Checked when the transfer starts (a clear 4xx for the person) and again when a runner takes it up (the
 * roots or a symbolic link may have changed since), where a refusal ends the transfer with its reason.
 */
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { AppError, invalidField } from '../errors/app-error.ts';
import type { ExperimentRecord } from '../experiments/lookup.ts';
import { sourceAccountOf, sourceRootsOf } from '../stations/lookup.ts';
import { isSameOrBelow, overlapping, protectedPaths } from '../system/protected-paths.ts';
import { readerFor, unreadableAmong } from './read-check.ts';

export interface SourceDecision {
  /** The directory to read: its real path on the server (for an agent's, the normalized path). */
  resolved: string;
  /** The account reads are checked as; null for an admin's transfer (the server's own rights). */
  sourceAccount: string | null;
}

/**
 * The checks at `POST /uploads` and `POST /daqs`. `onServer: false` is an agent's directory on another
 * machine: only its path can be checked here (the agent checks the rest against its own allowlist).
 */
export async function checkSource(
  context: ServiceContext,
  actor: Actor,
  experiment: ExperimentRecord,
  dataDirectory: string,
  options: { onServer: boolean },
): Promise<SourceDecision> {
  const admin = actor.principal.isAdmin;
  const lexical = resolve(dataDirectory);
  const roots = (await sourceRootsOf(context.db, experiment.station_id)).map((root) => root.path);
  const notAllowed = (real: string) => {
    const via = real === lexical ? '' : ` (it resolves to ${real})`;
    const where =
      roots.length === 0
        ? `station "${experiment.station_name}" has no source roots (admins add them: dm station add-source-root)`
        : `it is not below a source root of station "${experiment.station_name}" (${roots.join(', ')})`;
    return new AppError(
      'source_not_allowed',
      `dataDirectory: ${dataDirectory} may not be read${via}: ${where}`,
      {
        field: 'dataDirectory',
        station: experiment.station_name,
      },
    );
  };
  const below = (path: string) => roots.some((root) => isSameOrBelow(path, root));

  let real: string;
  if (options.onServer) {
    const found = await realpath(lexical).catch(() => undefined);
    // Outside the roots, a missing path is refused like any other: no one learns what exists where.
    if (found === undefined && !admin && !below(lexical)) throw notAllowed(lexical);
    if (found === undefined || !(await stat(found)).isDirectory())
      throw invalidField('dataDirectory', `${dataDirectory} is not a directory on the server`);
    real = found;
  } else {
    real = lexical;
  }
  await refuseProtected(context, dataDirectory, real);
  if (!admin && !below(real)) throw notAllowed(real);
  if (admin || !options.onServer) return { resolved: real, sourceAccount: null };

  const account = (await sourceAccountOf(context.db, experiment.station_id)) ?? context.settings.stageAccount;
  const reader = await readerFor(account).catch((error: unknown) => {
    throw new AppError('unix_account_unknown', error instanceof Error ? error.message : String(error), {
      field: 'dataDirectory',
      account,
    });
  });
  if ((await unreadableAmong([real], reader)).has(real)) {
    throw sourceError(
      'source_unreadable',
      `the unix account "${account}" of station "${experiment.station_name}" may not read ${real}`,
      { account },
    );
  }
  return { resolved: real, sourceAccount: account };
}

/**
 * The checks when a runner takes a transfer up (its start, or after a restart): the directory's real path
 * now, still clear of the protected paths and, for a transfer that is not an admin's, still below a root.
 * Throws an Error whose message becomes the transfer's lastError.
 */
export async function recheckSource(
  context: ServiceContext,
  transfer: { dataDirectory: string; sourceAccount: string | null; stationId: number },
): Promise<string> {
  const real = await realpath(transfer.dataDirectory);
  await refuseProtected(context, transfer.dataDirectory, real);
  if (transfer.sourceAccount !== null) {
    const roots = await sourceRootsOf(context.db, transfer.stationId);
    if (!roots.some((root) => isSameOrBelow(real, root.path)))
      throw new Error(`${transfer.dataDirectory} (${real}) is no longer below a source root of its station`);
  }
  return real;
}

async function refuseProtected(context: ServiceContext, dataDirectory: string, real: string): Promise<void> {
  const hit = overlapping(real, await protectedPaths(context.settings));
  if (hit === undefined) return;
  const relation = isSameOrBelow(real, hit.path) ? 'is or is inside' : 'contains';
  throw sourceError(
    'source_protected',
    `${dataDirectory} ${relation} ${hit.what}; uploads and DAQs never read the server's own files or experiment storage`,
  );
}

/**
 * A refusal naming `dataDirectory` in both shapes clients know: `details.field`, and `details.fields` as
 * validation failures have it (so a form shows it next to its field).
 */
function sourceError(
  code: 'source_not_allowed' | 'source_protected' | 'source_unreadable',
  message: string,
  details: Record<string, unknown> = {},
): AppError {
  return new AppError(code, `dataDirectory: ${message}`, {
    field: 'dataDirectory',
    fields: [{ field: 'dataDirectory', message }],
    ...details,
  });
}
