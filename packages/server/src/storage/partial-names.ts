/**
 * The names of files being copied into an experiment's tree: `.<name>.dm-partial-[<tag>-]<random>`, hidden,
 * renamed to `<name>` once verified. Storage skips them (a tree holding only these is empty) and sweeps old
 * ones; transfers write them, tagged with their kind and id so a transfer can clean up its own.
 */
import { randomBytes } from 'node:crypto';

export const partialMarker = '.dm-partial-';

/** True for the names `copyVerified` gives files being copied. */
export function isPartialName(name: string): boolean {
  return name.startsWith('.') && name.includes(partialMarker);
}

/** The tag of a transfer's partial files: its kind and id (`upload-12`, `daq-7`). */
export function transferTag(kind: 'upload' | 'daq', id: number): string {
  return `${kind}-${id}`;
}

const tagPattern = /^[a-z]+-[0-9]{1,15}$/;
const taggedPartial = /\.dm-partial-([a-z]+-[0-9]{1,15})-[0-9a-f]{12}$/;

/** The transfer a temp file belongs to (`upload-12`), or undefined for an untagged one (older or direct). */
export function partialTagOf(name: string): string | undefined {
  return isPartialName(name) ? taggedPartial.exec(name)?.[1] : undefined;
}

/**
 * `.<name>.dm-partial-[<tag>-]<random>`. Destination names may be up to NAME_MAX (255 bytes); the temp name
 * adds at most 48 (with a tag), so long names are cut.
 */
export function temporaryName(name: string, tag?: string): string {
  let prefix = name;
  while (Buffer.byteLength(prefix) > 200) prefix = [...prefix].slice(0, -1).join('');
  const owner = tag !== undefined && tagPattern.test(tag) ? `${tag}-` : '';
  return `.${prefix}${partialMarker}${owner}${randomBytes(6).toString('hex')}`;
}
