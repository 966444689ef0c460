/**
 * The file browser's state in the URL, so a filtered view can be bookmarked and shared:
 * `?glob=scan_*\/*.h5&where=temperature>=300&where=sample=lysozyme&sort=-size&file=scan_1/a.h5`.
 */
import type { FileListQuery } from '@photon-dm/client';

export type FileSort = NonNullable<FileListQuery['sort']>;

export const sortChoices: { value: FileSort; label: string }[] = [
  { value: 'path', label: 'Path, A to Z' },
  { value: '-path', label: 'Path, Z to A' },
  { value: '-mtime', label: 'Newest first' },
  { value: 'mtime', label: 'Oldest first' },
  { value: '-size', label: 'Largest first' },
  { value: 'size', label: 'Smallest first' },
];

export const operators = ['=', '!=', '<', '<=', '>', '>=', '~', 'exists'] as const;
export type Operator = (typeof operators)[number];

export interface FileView {
  pathGlob: string | undefined;
  where: string[];
  sort: FileSort;
  /** The file whose panel is open. */
  file: string | undefined;
}

export function readFileView(params: URLSearchParams): FileView {
  const sort = params.get('sort');
  return {
    pathGlob: params.get('glob') || undefined,
    where: params.getAll('where'),
    sort: sortChoices.some((choice) => choice.value === sort) ? (sort as FileSort) : 'path',
    file: params.get('file') || undefined,
  };
}

/** The URL parameters for a view; defaults are left out so URLs stay short. */
export function writeFileView(view: FileView): URLSearchParams {
  const params = new URLSearchParams();
  if (view.pathGlob) params.set('glob', view.pathGlob);
  for (const condition of view.where) params.append('where', condition);
  if (view.sort !== 'path') params.set('sort', view.sort);
  if (view.file) params.set('file', view.file);
  return params;
}

/** A condition as the API reads it: `key op value` or `key exists`. */
export function conditionText(key: string, operator: Operator, value: string): string {
  return operator === 'exists' ? `${key} exists` : `${key}${operator}${value}`;
}
