import { path, type Transport } from '../transport.ts';
import type {
  CatalogFile,
  DownloadLinks,
  FileListQuery,
  FileSearchQuery,
  Page,
  Upload,
  UploadInput,
  UploadListQuery,
} from '../types.ts';

const base = '/api/v1';

/**
 * `/experiments/{name}/files`: the catalog of an experiment's files.
 *
 * @example
 * const page = await client.files.list('2026-1-smith', { where: ['temperature>=300'], sort: '-size' });
 */
export class FilesApi {
  constructor(private readonly transport: Transport) {}

  list(experiment: string, query: FileListQuery = {}): Promise<Page<CatalogFile>> {
    return this.transport.request('GET', base + path`/experiments/${experiment}/files`, {
      query: { ...query },
    });
  }

  async count(experiment: string, query: FileSearchQuery = {}): Promise<number> {
    const result = await this.transport.request<{ count: number }>(
      'GET',
      base + path`/experiments/${experiment}/files/count`,
      {
        query: { ...query },
      },
    );
    return result.count;
  }

  async keys(experiment: string): Promise<{ key: string; count: number }[]> {
    const result = await this.transport.request<{ items: { key: string; count: number }[] }>(
      'GET',
      base + path`/experiments/${experiment}/files/keys`,
    );
    return result.items;
  }

  show(experiment: string, filePath: string): Promise<CatalogFile> {
    return this.transport.request('GET', base + path`/experiments/${experiment}/file`, {
      query: { path: filePath },
    });
  }

  /** `null` removes a key. */
  update(experiment: string, filePath: string, metadata: Record<string, unknown>): Promise<CatalogFile> {
    return this.transport.request('PATCH', base + path`/experiments/${experiment}/file`, {
      query: { path: filePath },
      body: { metadata },
    });
  }

  /** The file's bytes from `offset` on (a `Range` request), to stream to disk. */
  content(experiment: string, filePath: string, offset = 0): Promise<Response> {
    return this.transport.stream(base + path`/experiments/${experiment}/file/content`, {
      query: { path: filePath },
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    });
  }

  /**
   * Signed URLs (relative to the server) that download the files without a token until `expiresAt`: what a
   * browser link needs. Several paths also get one link to a tar archive of them all.
   */
  downloadLinks(
    experiment: string,
    paths: readonly string[],
    options: { expiresInSeconds?: number } = {},
  ): Promise<DownloadLinks> {
    return this.transport.request('POST', base + path`/experiments/${experiment}/files/download-links`, {
      body: { paths, ...options },
    });
  }

  /** Removes the files from storage and the catalog (staff). */
  async delete(experiment: string, paths: string[]): Promise<number> {
    const result = await this.transport.request<{ deleted: number }>(
      'POST',
      base + path`/experiments/${experiment}/files/delete`,
      {
        body: { paths },
      },
    );
    return result.deleted;
  }
}

/**
 * `/uploads`: taking an existing directory on the server into an experiment.
 *
 * @example
 * const upload = await client.uploads.create({ experiment: '2026-1-smith', dataDirectory: '/data/run7' });
 */
export class UploadsApi {
  constructor(private readonly transport: Transport) {}

  create(input: UploadInput): Promise<Upload> {
    return this.transport.request('POST', `${base}/uploads`, { body: input });
  }

  list(query: UploadListQuery = {}): Promise<Page<Upload>> {
    return this.transport.request('GET', `${base}/uploads`, { query: { ...query } });
  }

  show(id: number): Promise<Upload> {
    return this.transport.request('GET', base + path`/uploads/${id}`);
  }

  stop(id: number): Promise<Upload> {
    return this.transport.request('POST', base + path`/uploads/${id}/stop`);
  }
}

export interface PermissionsReport {
  mode: 'acl' | 'group';
  /** Unix accounts given read access. */
  readers: string[];
  warnings: string[];
}

/** `/experiments/{name}/storage`: the experiment tree on disk. */
export class StorageApi {
  constructor(private readonly transport: Transport) {}

  restorePermissions(experiment: string): Promise<PermissionsReport> {
    return this.transport.request(
      'POST',
      base + path`/experiments/${experiment}/storage/restore-permissions`,
    );
  }
}
