/** A station's source root for tests whose managers start uploads and DAQs (issue 10: only below one). */
import { chmodSync } from 'node:fs';
import { type TempDir, tempDir } from './temp-dir.ts';
import type { TestApp } from './test-app.ts';

/**
 * A fresh temp directory, readable by the station's unix account (mkdtemp makes it 0700), added by the
 * admin as a source root of `station`.
 *
 * @example
 * const detectors = await sourceRoot(t, '8-ID-I');
 * after(() => detectors.remove());
 */
export async function sourceRoot(t: TestApp, station: string): Promise<TempDir> {
  const root = await tempDir('dm-source-root-');
  chmodSync(root.path, 0o755);
  const added = await t.call('PUT', `/api/v1/stations/${station}/source-roots`, {
    body: { path: root.path },
  });
  if (added.status !== 200)
    throw new Error(`source root for ${station}: ${added.status} ${JSON.stringify(added.body)}`);
  return root;
}
