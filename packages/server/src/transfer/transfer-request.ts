import { stat } from 'node:fs/promises';
import type { ServiceContext } from '../context.ts';
import { invalidField } from '../errors/app-error.ts';
import type { ExperimentRecord } from '../experiments/lookup.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import { PathOutsideRootError } from './errors.ts';
import { resolveInside } from './safe-path.ts';

/**
 * Checks where an upload or DAQ reads and writes: the source must be a directory on the server (unless a
 * DAQ agent reads it on its own machine), the destination a path inside the experiment's data directory. Returns the destination without slashes at
 * either end ('' for the data directory itself).
 */
export async function checkTransferDirectories(
  context: ServiceContext,
  experiment: ExperimentRecord,
  request: { dataDirectory: string; destDirectory?: string },
  options: { sourceOnServer: boolean } = { sourceOnServer: true },
): Promise<string> {
  const source = options.sourceOnServer
    ? await stat(request.dataDirectory).catch(() => undefined)
    : undefined;
  if (options.sourceOnServer && !source?.isDirectory())
    throw invalidField('dataDirectory', `${request.dataDirectory} is not a directory on the server`);
  const destDirectory = (request.destDirectory ?? '').replace(/^\/+|\/+$/g, '');
  if (destDirectory !== '') {
    try {
      await resolveInside(pathsOf(context, experiment).dataDirectory, destDirectory);
    } catch (error) {
      if (error instanceof PathOutsideRootError) throw invalidField('destDirectory', error.message);
      throw error;
    }
  }
  return destDirectory;
}
