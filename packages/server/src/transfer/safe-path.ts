/**
 * Paths that cannot escape their directory: where a transferred file may be written inside an experiment's
 * tree (`resolveInside`), and which files a DAQ may read from the directory it monitors
 * (`relativeSourcePath`). Relative paths come from clients, agents and directory listings, so none of them
 * is trusted.
 *
 * The checks look at the disk as it is now. Storage trees belong to the service account (users only read
 * them), so nobody else can swap a checked directory for a symlink before the write.
 */
import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PathOutsideRootError, SourceMissingError } from './errors.ts';

/**
 * The absolute path for `relativePath` inside `root` (which must exist), refusing anything that could lead
 * outside it: absolute paths, `..`, `.` and empty segments (`a//b`, a trailing `/`), NUL bytes, and existing
 * directories on the way that are symlinks resolving outside the root. Missing directories are fine: the
 * copy creates them.
 *
 * @example
 * const destination = await resolveInside(paths.dataDirectory, 'scan-12/frame-0001.h5');
 * await copyVerified({ source, destination, onExisting: 'skip-identical-else-refuse' });
 */
export async function resolveInside(root: string, relativePath: string): Promise<string> {
  const segments = checkedSegments(root, relativePath);
  const realRoot = await realpath(root);
  let current = realRoot;
  for (const segment of segments) {
    const next = join(current, segment);
    const stats = await lstatIfExists(next);
    // Nothing further exists: what is left will be created inside `current`, which is inside the root.
    if (stats === undefined) break;
    if (!stats.isSymbolicLink()) {
      current = next;
      continue;
    }
    const target = await realpath(next).catch(() => undefined);
    if (target === undefined || !isInsideOrSame(realRoot, target)) {
      // A dangling link is refused too: whatever it points to could be created outside later.
      throw new PathOutsideRootError(root, relativePath, `${next} is a symlink leading outside`);
    }
    current = target;
  }
  return join(realRoot, ...segments);
}

/**
 * `resolveInside`'s checks of `relativePath` alone, without looking at the disk: for a path that
 * `resolveInside` has already let through (a DAQ agent's staged file, offered first), to refuse a bad one
 * as clearly again without paying for the walk.
 *
 * @example
 * checkRelativePath(paths.dataDirectory, 'scan-12/../x.h5'); // throws PathOutsideRootError
 */
export function checkRelativePath(root: string, relativePath: string): void {
  checkedSegments(root, relativePath);
}

/**
 * The path of `absoluteSource` relative to the monitored `dataDirectory` (with `/` separators), refusing
 * files outside it, including symlinks inside it whose target is outside: a DAQ must never copy
 * `/etc/shadow` into an experiment because someone linked it into the beamline's directory.
 *
 * @example
 * const relativePath = await relativeSourcePath('/detector/run-7', '/detector/run-7/scan-12/frame.h5');
 * // 'scan-12/frame.h5'
 */
export async function relativeSourcePath(dataDirectory: string, absoluteSource: string): Promise<string> {
  const lexical = relative(resolve(dataDirectory), resolve(absoluteSource));
  if (lexical === '' || lexical === '..' || lexical.startsWith(`..${sep}`) || isAbsolute(lexical)) {
    throw new PathOutsideRootError(dataDirectory, absoluteSource, 'not inside the data directory');
  }
  const realDirectory = await realpath(dataDirectory);
  const realSource = await realpath(absoluteSource).catch((error: unknown) => {
    if (isMissing(error)) throw new SourceMissingError(absoluteSource, { cause: error });
    throw error;
  });
  if (!isInsideOrSame(realDirectory, realSource) || realSource === realDirectory) {
    throw new PathOutsideRootError(dataDirectory, absoluteSource, `it resolves to ${realSource}, outside`);
  }
  return lexical.split(sep).join('/');
}

function checkedSegments(root: string, relativePath: string): string[] {
  const refuse = (reason: string) => new PathOutsideRootError(root, relativePath, reason);
  if (relativePath.includes('\0')) throw refuse('NUL bytes are not allowed');
  if (isAbsolute(relativePath)) throw refuse('absolute paths are not allowed');
  const segments = relativePath.split('/');
  for (const segment of segments) {
    if (segment === '') throw refuse('empty path segments are not allowed');
    // `.` cannot escape, but it would give one file two names in the catalog.
    if (segment === '.' || segment === '..') throw refuse(`"${segment}" segments are not allowed`);
  }
  return segments;
}

function isInsideOrSame(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

async function lstatIfExists(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    // ENOTDIR: a file stands where a directory is needed; the copy's mkdir reports that clearly.
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
