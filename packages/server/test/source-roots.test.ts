/**
 * Where uploads and DAQs may read (issue 10): admins keep each station's source roots; a station manager
 * reads only below them (symbolic links resolved), nobody reads the storage root or the server's own
 * files, and an admin may name other directories. Each attack below worked before source roots existed.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, it } from 'node:test';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { readUntil, until } from './support/wait.ts';

describeBackends('source roots', (backend) => {
  let t: TestApp;
  let beamline: TempDir;
  let elsewhere: TempDir;
  let mia: string;
  let otto: string;
  let privateExperiment: { dataDirectory: string };

  before(async () => {
    t = await createTestApp(backend);
    mia = await t.user('mia');
    otto = await t.user('otto');
    await t.station('8-ID-I', ['mia']);
    await t.station('2-BM', ['otto']);
    await t.experiment('xpcs-1', '8-ID-I');
    privateExperiment = await t.experiment('tomo-1', '2-BM');
    writeFileSync(join(privateExperiment.dataDirectory, 'private.tif'), 'not for 8-ID-I');
    beamline = await tempDir('dm-source-');
    elsewhere = await tempDir('dm-elsewhere-');
    for (const dir of [beamline.path, elsewhere.path]) chmodSync(dir, 0o755);
    mkdirSync(join(beamline.path, 'run1'));
    writeFileSync(join(beamline.path, 'run1', 'frame-1.tif'), 'frame one');
    writeFileSync(join(elsewhere.path, 'other.tif'), 'outside the roots');
    symlinkSync('/etc', join(beamline.path, 'etc-link'));
    symlinkSync('/etc/passwd', join(beamline.path, 'run1', 'passwd'));
    symlinkSync(t.dataDir, join(beamline.path, 'data-link'));
    const added = await t.call('PUT', '/api/v1/stations/8-ID-I/source-roots', {
      body: { path: beamline.path },
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
  });
  after(async () => {
    await t.close();
    await beamline.remove();
    await elsewhere.remove();
  });

  const start = (kind: 'uploads' | 'daqs', token: string, body: Record<string, unknown>) =>
    t.call('POST', `/api/v1/${kind}`, { token, body: { experiment: 'xpcs-1', ...body } });

  async function finished(id: number) {
    return until(
      async () => {
        const upload = (await t.call('GET', `/api/v1/uploads/${id}`)).body;
        return upload.status !== 'pending' && upload.status !== 'running' && upload;
      },
      { timeout: 60_000, interval: 100, message: `upload ${id} finishes` },
    );
  }

  it('lets admins alone keep the roots, stored as real paths clear of the server files', async () => {
    const byManager = await t.call('PUT', '/api/v1/stations/8-ID-I/source-roots', {
      token: mia,
      body: { path: elsewhere.path },
    });
    assert.equal(byManager.status, 403);
    for (const path of [t.dataDir, t.storageRoot, join(t.storageRoot, '2-BM'), '/', '/nonexistent-dm-root']) {
      const refused = await t.call('PUT', '/api/v1/stations/8-ID-I/source-roots', { body: { path } });
      assert.equal(refused.status, 400, path);
      assert.equal(refused.body.error.details.fields[0].field, 'path', path);
    }
    assert.equal(
      (await t.call('PUT', '/api/v1/stations/8-ID-I/source-roots', { body: { path: 'rel' } })).status,
      400,
    );
    const link = join(elsewhere.path, 'link-to-beamline');
    symlinkSync(beamline.path, link);
    const viaLink = await t.call('PUT', '/api/v1/stations/2-BM/source-roots', { body: { path: link } });
    assert.deepEqual(
      viaLink.body.sourceRoots.map((root: { path: string }) => root.path),
      [realpathSync(beamline.path)],
    );
    const shown = await t.call('GET', '/api/v1/stations/8-ID-I/source-roots', { token: mia });
    assert.equal(shown.status, 200);
    assert.deepEqual(
      shown.body.sourceRoots.map((root: { path: string }) => root.path),
      [realpathSync(beamline.path)],
    );
    assert.equal(shown.body.checkedAs, 'nobody');
    assert.equal((await t.call('GET', '/api/v1/stations/8-ID-I/source-roots', { token: otto })).status, 403);
    const removed = await t.call(
      'DELETE',
      `/api/v1/stations/2-BM/source-roots?path=${encodeURIComponent(realpathSync(beamline.path))}`,
    );
    assert.deepEqual(removed.body.sourceRoots, []);
    const again = await t.call(
      'DELETE',
      `/api/v1/stations/2-BM/source-roots?path=${encodeURIComponent(beamline.path)}`,
    );
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, 'source_root_not_found');
    const audit = (await t.call('GET', '/api/v1/audit?limit=1000')).body.items.map(
      (e: { action: string }) => e.action,
    );
    assert.ok(audit.includes('station.add_source_root'));
    assert.ok(audit.includes('station.remove_source_root'));
  });

  it("refuses a manager another station's experiment, the server's data directory and /etc", async () => {
    for (const kind of ['uploads', 'daqs'] as const) {
      const attacks: [string, string][] = [
        [privateExperiment.dataDirectory, 'source_protected'],
        [t.dataDir, 'source_protected'],
        [t.storageRoot, 'source_protected'],
        ['/etc', 'source_not_allowed'],
        ['/', 'source_protected'],
        [elsewhere.path, 'source_not_allowed'],
        [join(beamline.path, 'etc-link'), 'source_not_allowed'],
        [join(beamline.path, 'data-link'), 'source_protected'],
        [join(beamline.path, '..', basename(elsewhere.path)), 'source_not_allowed'],
        [join(beamline.path, 'run1', '..', '..'), 'source_protected'],
        // A path that does not exist outside the roots is refused as any other: no one learns what exists.
        ['/nonexistent-dm-dir', 'source_not_allowed'],
      ];
      for (const [dataDirectory, code] of attacks) {
        const refused = await start(kind, mia, { dataDirectory });
        assert.equal(refused.status, 403, `${kind} ${dataDirectory}: ${JSON.stringify(refused.body)}`);
        assert.equal(refused.body.error.code, code, dataDirectory);
        assert.equal(refused.body.error.details.field, 'dataDirectory');
        assert.match(refused.body.error.message, /dataDirectory/);
      }
      const linked = await start(kind, mia, { dataDirectory: join(beamline.path, 'etc-link') });
      assert.match(linked.body.error.message, /resolves to \/etc/);
      const missingInside = await start(kind, mia, { dataDirectory: join(beamline.path, 'nope') });
      assert.equal(missingInside.status, 400);
    }
    const agentOutside = await start('daqs', mia, { dataDirectory: '/etc', agent: 'bl8-daq' });
    assert.equal(agentOutside.status, 403);
    assert.equal(agentOutside.body.error.code, 'source_not_allowed');
    const agentInside = await start('daqs', mia, {
      dataDirectory: join(beamline.path, 'run1'),
      agent: 'bl8-daq',
    });
    assert.equal(agentInside.status, 201, JSON.stringify(agentInside.body));
    assert.equal((await t.call('POST', `/api/v1/daqs/${agentInside.body.id}/stop`)).status, 200);
    const uploads = (await t.call('GET', '/api/v1/uploads')).body.items;
    assert.deepEqual(uploads, [], 'no refused upload left a record');
  });

  it('never lets an admin read the storage root or the server files, but other directories', async () => {
    for (const dataDirectory of [
      privateExperiment.dataDirectory,
      t.dataDir,
      '/',
      join(beamline.path, 'data-link'),
    ]) {
      const refused = await start('uploads', t.adminToken, { dataDirectory });
      assert.equal(refused.status, 403, dataDirectory);
      assert.equal(refused.body.error.code, 'source_protected');
    }
    const other = await start('uploads', t.adminToken, {
      dataDirectory: elsewhere.path,
      destDirectory: 'admin',
    });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    assert.equal((await finished(other.body.id)).status, 'done');
  });

  it('takes files below a root as before, never following symbolic links out of it', async () => {
    const created = await start('uploads', mia, { dataDirectory: beamline.path, destDirectory: 'mia' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const upload = await finished(created.body.id);
    assert.equal(upload.status, 'done', JSON.stringify(upload));
    const files = await t.call('GET', '/api/v1/experiments/xpcs-1/files?limit=1000', { token: mia });
    const paths = files.body.items
      .map((file: { experimentFilePath: string }) => file.experimentFilePath)
      .filter((p: string) => p.startsWith('mia/'));
    assert.deepEqual(paths, ['mia/run1/frame-1.tif']);
    const daq = await start('daqs', mia, {
      dataDirectory: join(beamline.path, 'run1'),
      destDirectory: 'daq',
      settleSeconds: 0,
    });
    assert.equal(daq.status, 201, JSON.stringify(daq.body));
    const taken = await readUntil(
      async () => (await t.call('GET', `/api/v1/daqs/${daq.body.id}`)).body.nProcessedFiles,
      (taken) => taken >= 1,
      { timeout: 60_000, interval: 100 },
    );
    assert.equal(taken, 1);
    await t.call('POST', `/api/v1/daqs/${daq.body.id}/stop`);
    const shown = (await t.call('GET', `/api/v1/daqs/${daq.body.id}`)).body;
    assert.equal(shown.nProcessingErrors, 0);
  });
});
