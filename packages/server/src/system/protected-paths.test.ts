import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isSameOrBelow, overlapping, protectedPaths, realPathAsFarAsExists } from './protected-paths.ts';

describe('protected paths', () => {
  it('tells a child from a sibling with a common prefix', () => {
    assert.equal(isSameOrBelow('/detector/8id', '/detector/8id'), true);
    assert.equal(isSameOrBelow('/detector/8id/run1', '/detector/8id'), true);
    assert.equal(isSameOrBelow('/detector/8id-old', '/detector/8id'), false);
    assert.equal(isSameOrBelow('/detector', '/detector/8id'), false);
    assert.equal(isSameOrBelow('/detector/8id/..data', '/detector/8id'), true);
  });

  it('protects the storage root, data directory, config file and a database kept elsewhere, through links', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dm-protected-'));
    try {
      const paths = await protectedPaths({
        storageRoot: join(root, 'storage'),
        dataDir: join(root, 'data'),
        configFile: join(root, 'etc', 'dm.json'),
        databaseUrl: `sqlite:${join(root, 'db', 'dm.sqlite')}`,
      });
      symlinkSync(join(root, 'data'), join(root, 'link'));
      const link = await realPathAsFarAsExists(join(root, 'link', 'x'));
      assert.equal(overlapping(link, paths)?.what, "the server's data directory");
      assert.equal(overlapping(join(root, 'db'), paths)?.what, "the server's database");
      assert.equal(overlapping(join(root, 'db-wal'), paths), undefined);
      assert.equal(overlapping(join(root, 'etc', 'other'), paths), undefined);
      assert.equal(overlapping('/', paths)?.what, 'the storage root');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
