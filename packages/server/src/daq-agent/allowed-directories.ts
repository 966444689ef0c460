/**
 * The directories a DAQ agent may read (`--allow-directory`, `DM_AGENT_ALLOWED_DIRECTORIES`): whoever
 * starts a DAQ for it, the agent reads nothing else of its machine. Compared as real paths, so a symbolic
 * link into or out of an allowed directory counts where it leads; the mounted storage root (direct copy)
 * is never a source.
 */
import { realpath, stat } from 'node:fs/promises';
import { isSameOrBelow, realPathAsFarAsExists } from '../system/protected-paths.ts';

/**
 * The real paths of the allowed directories; throws naming each one that is not a directory or that
 * overlaps the storage root.
 */
export async function resolveAllowedDirectories(
  directories: readonly string[],
  storageRoot?: string,
): Promise<string[]> {
  const problems: string[] = [];
  const resolved: string[] = [];
  const storage = storageRoot === undefined ? undefined : await realPathAsFarAsExists(storageRoot);
  for (const directory of directories) {
    const real = await realpath(directory).catch(() => undefined);
    if (real === undefined || !(await stat(real)).isDirectory()) {
      problems.push(`${directory} is not a directory`);
    } else if (storage !== undefined && (isSameOrBelow(real, storage) || isSameOrBelow(storage, real))) {
      problems.push(`${directory} overlaps the storage root ${storageRoot}`);
    } else {
      resolved.push(real);
    }
  }
  if (problems.length > 0) throw new Error(`allowed directories: ${problems.join('; ')}`);
  return resolved;
}

/**
 * Where the agent reads a DAQ's directory (its real path, as far as it exists), or why it will not.
 *
 * @example
 * const where = await placeOfDaqDirectory('/detector/8id/run7', ['/detector/8id']);
 * if ('refusal' in where) await client.daqAgents.refuse(daq.id, { owner, reason: where.refusal });
 */
export async function placeOfDaqDirectory(
  dataDirectory: string,
  allowed: readonly string[],
): Promise<{ root: string } | { refusal: string }> {
  const real = await realPathAsFarAsExists(dataDirectory);
  if (allowed.some((directory) => isSameOrBelow(real, directory))) return { root: real };
  const via = real === dataDirectory ? '' : ` (it resolves to ${real})`;
  const list = allowed.length === 0 ? 'none' : allowed.join(', ');
  return {
    refusal: `${dataDirectory}${via} is not below a directory this agent may read (--allow-directory: ${list})`,
  };
}
