/**
 * A beamline directory taken in with `dm upload --wait`, then found with `dm file`, through the real `dm`
 * and a real server.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CatalogFile, Page, Upload } from '@photon-dm/client';
import {
  cleanEnv,
  dmCommands,
  leakedProcesses,
  type ServerProcess,
  startDmServer,
  stopProcess,
} from './dm-process.ts';

const adminPassword = 'files-admin-password';

describe('uploads and files through dm', { timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'dm-cli-files-'));
  const home = join(root, 'config');
  const beamline = join(root, 'beamline');
  let server: ServerProcess;
  const { dm, ok, json } = dmCommands(home);

  before(async () => {
    server = await startDmServer(
      ['--port', '0', '--data-dir', join(root, 'data'), '--log-level', 'warn'],
      cleanEnv({ DM_ADMIN_PASSWORD: adminPassword }),
    );
    await ok(['login', '--server', server.url, '--username', 'admin', '--password-stdin'], {
      input: `${adminPassword}\n`,
    });
    await ok(['station', 'add', '2-BM']);
    await ok(['experiment', 'add', 'tomo-1', '--station', '2-BM']);
    mkdirSync(join(beamline, 'proj'), { recursive: true });
    for (let i = 0; i < 5; i++)
      writeFileSync(join(beamline, 'proj', `p_${i}.tif`), Buffer.alloc(1000 * (i + 1), i));
    writeFileSync(join(beamline, 'dark.tif'), 'dark');
  });

  after(async () => {
    try {
      if (server) assert.equal(await stopProcess(server.child, 'SIGTERM'), 0);
      assert.deepEqual(leakedProcesses(), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('should upload a directory and wait for it to finish', async () => {
    const upload = await json<Upload>([
      'upload',
      '--experiment',
      'tomo-1',
      '--data-directory',
      beamline,
      '--wait',
    ]);
    assert.equal(upload.status, 'done');
    assert.equal(upload.nFiles, 6);
    assert.equal(upload.nProcessingErrors, 0);
    const listed = await ok(['upload', 'list']);
    assert.match(listed.stdout, new RegExp(`${upload.id}\\s+tomo-1\\s+done\\s+6/6`));
  });

  it('should list, search, count and annotate files', async () => {
    const big = await json<Page<CatalogFile>>([
      'file',
      'list',
      '--experiment',
      'tomo-1',
      '--where',
      'size>=3000',
      '--sort',
      '-size',
    ]);
    assert.deepEqual(
      big.items.map((f) => f.experimentFilePath),
      ['proj/p_4.tif', 'proj/p_3.tif', 'proj/p_2.tif'],
    );
    assert.equal(
      (await ok(['file', 'count', '--experiment', 'tomo-1', '--path-glob', 'proj/*'])).stdout.trim(),
      '5',
    );
    await ok(['file', 'update', '--experiment', 'tomo-1', 'dark.tif', 'kind=dark', 'exposure=0.5']);
    const shown = await json<CatalogFile>(['file', 'show', '--experiment', 'tomo-1', 'dark.tif']);
    assert.deepEqual(shown.metadata, { kind: 'dark', exposure: 0.5 });
    const keys = await ok(['file', 'keys', '--experiment', 'tomo-1']);
    assert.match(keys.stdout, /exposure\s+1/);
    const bad = await dm(['file', 'list', '--experiment', 'tomo-1', '--where', 'size >>> 3']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /where\/0/);
  });

  it('should download files verified, skip what is already there, and resume a partial one', async () => {
    const destination = join(root, 'download');
    const first = await json<{ downloaded: number; present: number }>([
      'download',
      '--experiment',
      'tomo-1',
      '--destination',
      destination,
    ]);
    assert.equal(first.downloaded, 6);
    assert.deepEqual(
      readFileSync(join(destination, 'proj', 'p_3.tif')),
      readFileSync(join(beamline, 'proj', 'p_3.tif')),
    );
    const again = await json<{ downloaded: number; present: number }>([
      'download',
      '--experiment',
      'tomo-1',
      '--destination',
      destination,
    ]);
    assert.equal(again.present, 6);

    // An interrupted download: half of p_4.tif in its partial file, the file itself gone.
    const original = readFileSync(join(beamline, 'proj', 'p_4.tif'));
    rmSync(join(destination, 'proj', 'p_4.tif'));
    writeFileSync(join(destination, 'proj', 'p_4.tif.dm-download'), original.subarray(0, 2500));
    const resumed = await json<{ resumed: number; present: number }>([
      'download',
      '--experiment',
      'tomo-1',
      '--destination',
      destination,
    ]);
    assert.equal(resumed.resumed, 1);
    assert.deepEqual(readFileSync(join(destination, 'proj', 'p_4.tif')), original);

    // A corrupted partial file is caught by the checksum and removed, and the next run gets it right.
    rmSync(join(destination, 'proj', 'p_4.tif'));
    writeFileSync(join(destination, 'proj', 'p_4.tif.dm-download'), Buffer.alloc(2500, 0xff));
    const corrupted = await dm(['download', '--experiment', 'tomo-1', '--destination', destination]);
    assert.equal(corrupted.code, 1);
    assert.match(corrupted.stdout + corrupted.stderr, /checksum mismatch/);
    await ok(['download', '--experiment', 'tomo-1', '--destination', destination]);
    assert.deepEqual(readFileSync(join(destination, 'proj', 'p_4.tif')), original);
  });

  it('should delete matching files only when confirmed', async () => {
    const refused = await dm(['file', 'delete', '--experiment', 'tomo-1', '--path-pattern', '^proj/p_[01]']);
    assert.equal(refused.code, 2, 'no terminal and no --yes');
    assert.match(refused.stderr, /2 files match/);
    const deleted = await ok([
      'file',
      'delete',
      '--experiment',
      'tomo-1',
      '--path-pattern',
      '^proj/p_[01]',
      '--yes',
    ]);
    assert.match(deleted.stdout, /deleted 2 files/);
    assert.equal((await ok(['file', 'count', '--experiment', 'tomo-1'])).stdout.trim(), '4');
  });

  it('should refuse an upload without its options', async () => {
    const missing = await dm(['upload', '--experiment', 'tomo-1']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--data-directory/);
  });
});
