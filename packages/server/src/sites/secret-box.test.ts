import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { keyFileOf, openSecrets, sealSecrets } from './secret-box.ts';

describe('site secret box', () => {
  it('makes its key even where a process of the same PID was killed while making one', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dm-secret-box-'));
    try {
      // What a SIGKILL between writing the partial key and linking it leaves; a container's next server
      // gets the same PID.
      await writeFile(`${keyFileOf(dataDir)}.${process.pid}.partial`, 'half', { mode: 0o600 });
      const sealed = await sealSecrets(dataDir, 'polaris', { token: 't0ken' });
      assert.deepEqual(await openSecrets(dataDir, 'polaris', sealed), { token: 't0ken' });
      assert.equal((await stat(keyFileOf(dataDir))).mode & 0o777, 0o600);
      assert.equal(Buffer.from((await readFile(keyFileOf(dataDir), 'utf8')).trim(), 'base64').length, 32);
      await assert.rejects(stat(`${keyFileOf(dataDir)}.${process.pid}.partial`), { code: 'ENOENT' });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
