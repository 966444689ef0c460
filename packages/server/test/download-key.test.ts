/**
 * The download-link key moved from `<data-dir>/download-secret` into the database: an upgraded server takes
 * the old key over (links handed out before the upgrade keep working) and removes the file, which would
 * otherwise be a second copy of a key that no longer rotates.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { createApp } from '../src/app.ts';
import { currentDownloadKey } from '../src/secrets/service.ts';
import { loadSettings } from '../src/settings/settings.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { adminPassword } from './support/test-app.ts';
import { createTestDatabase, describeBackends, type TestDatabase } from './support/test-database.ts';

describeBackends('the download-link key of an upgraded server', (backend) => {
  let database: TestDatabase;
  let dataDir: TempDir;
  before(async () => {
    database = await createTestDatabase(backend);
    dataDir = await tempDir('dm-download-key-');
  });
  after(async () => {
    await database.drop();
    await dataDir.remove();
  });

  it('takes the key of the legacy file over, and removes the file', async () => {
    const legacy = randomBytes(32);
    const file = join(dataDir.path, 'download-secret');
    writeFileSync(file, `${legacy.toString('hex')}\n`, { mode: 0o600 });
    const settings = loadSettings({
      flags: { dataDir: dataDir.path, databaseUrl: database.url, logLevel: 'silent' },
      env: { DM_ADMIN_PASSWORD: adminPassword },
    });
    const app = await createApp({ settings });
    try {
      assert.deepEqual(await currentDownloadKey(app.context), legacy);
      assert.ok(!existsSync(file), 'the file is gone');
      assert.deepEqual(await currentDownloadKey(app.context), legacy, 'and the key stays');
    } finally {
      await app.close();
    }
  });
});
