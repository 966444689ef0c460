/**
 * A beamline's existing directory taken into an experiment by an upload: verified into storage, cataloged
 * with checksums and metadata, searchable by the experiment's members and nobody else.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import h5wasm from 'h5wasm/node';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

describeBackends('uploads and the file catalog', (backend) => {
  let t: TestApp;
  let beamline: TempDir;
  let alice: string;
  let outsider: string;
  let experiment: { dataDirectory: string };

  before(async () => {
    t = await createTestApp(backend);
    alice = await t.user('alice');
    outsider = await t.user('olga');
    await t.station('8-ID-I');
    experiment = await t.experiment('xpcs-1', '8-ID-I', { users: ['alice'] });
    beamline = await tempDir('dm-beamline-');
    mkdirSync(join(beamline.path, 'scan_001'));
    mkdirSync(join(beamline.path, 'scan_002'));
    writeFileSync(join(beamline.path, 'scan_001', 'frame_0001.tif'), 'a'.repeat(1000));
    writeFileSync(join(beamline.path, 'scan_001', 'frame_0002.tif'), 'b'.repeat(3000));
    writeFileSync(join(beamline.path, 'scan_002', 'frame_0001.tif'), 'c'.repeat(2000));
    writeFileSync(join(beamline.path, 'notes.txt'), 'sample: lysozyme\n');
    writeFileSync(join(beamline.path, '.hidden'), 'not data');
    await h5wasm.ready;
    const nexus = new h5wasm.File(join(beamline.path, 'scan_002', 'master.h5'), 'w');
    try {
      const entry = nexus.create_group('entry');
      entry.create_attribute('NX_class', 'NXentry');
      entry.create_dataset({ name: 'title', data: 'lysozyme dynamics' });
      const sample = entry.create_group('sample');
      sample.create_dataset({ name: 'temperature', data: 295.5 });
      entry.create_dataset({ name: 'data', data: new Uint16Array(64 * 64), shape: [64, 64] });
    } finally {
      nexus.close();
    }
  });
  after(async () => {
    await t.close();
    await beamline.remove();
  });

  async function upload(body: Record<string, unknown>, token?: string) {
    const started = await t.call('POST', '/api/v1/uploads', {
      body: { experiment: 'xpcs-1', ...body },
      token,
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    // Bounded by a minute, not by a count of polls: on a loaded CI machine a 10 s bound was seen to run out.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const shown = await t.call('GET', `/api/v1/uploads/${started.body.id}`);
      if (['done', 'failed', 'aborted'].includes(shown.body.status)) return shown.body;
      if (Date.now() > deadline) throw new Error(`upload did not finish: ${JSON.stringify(shown.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const names = (response: { body: { items: { experimentFilePath: string }[] } }) =>
    response.body.items.map((file) => file.experimentFilePath);

  it('takes every file of a directory into storage, verified and cataloged', async () => {
    const result = await upload({ dataDirectory: beamline.path });
    assert.equal(result.status, 'done');
    assert.equal(result.nFiles, 5, 'hidden files are skipped');
    assert.equal(result.nProcessedFiles, 5);
    assert.equal(result.percentageComplete, 100);
    const list = await t.call('GET', '/api/v1/experiments/xpcs-1/files');
    assert.deepEqual(names(list), [
      'notes.txt',
      'scan_001/frame_0001.tif',
      'scan_001/frame_0002.tif',
      'scan_002/frame_0001.tif',
      'scan_002/master.h5',
    ]);
    const file = list.body.items[1];
    const content = readFileSync(join(beamline.path, 'scan_001', 'frame_0001.tif'));
    assert.equal(file.md5Sum, createHash('md5').update(content).digest('hex'));
    assert.equal(file.sha256Sum, createHash('sha256').update(content).digest('hex'));
    assert.equal(file.fileSize, 1000);
    assert.equal(file.storageFilePath, join(experiment.dataDirectory, 'scan_001', 'frame_0001.tif'));
    assert.deepEqual(readFileSync(file.storageFilePath), content);
    assert.equal(file.originType, 'upload');
    const nexus = list.body.items[4];
    assert.equal(
      nexus.metadata['entry/title'],
      'lysozyme dynamics',
      'what the HDF5 file carries is cataloged',
    );
    assert.equal(nexus.metadata['entry@NX_class'], 'NXentry');
    assert.equal(nexus.metadata['entry/sample/temperature'], 295.5);
    assert.equal(nexus.metadata['entry/data.shape'], '64x64');
  });

  it('finds files by what they carry', async () => {
    const found = await t.call(
      'GET',
      `/api/v1/experiments/xpcs-1/files?where=${encodeURIComponent('entry/title~*lysozyme*')}&where=${encodeURIComponent('entry/sample/temperature<300')}`,
    );
    assert.deepEqual(names(found), ['scan_002/master.h5']);
  });

  it('takes nothing twice: a second upload skips what is cataloged, --reprocess takes it again', async () => {
    const again = await upload({ dataDirectory: beamline.path });
    assert.equal(again.nSkippedFiles, 5);
    assert.equal((await t.call('GET', '/api/v1/experiments/xpcs-1/files/count')).body.count, 5);
    const reprocessed = await upload({ dataDirectory: beamline.path, reprocess: true });
    assert.equal(reprocessed.status, 'done');
    assert.equal(reprocessed.nSkippedFiles, 0);
    assert.equal((await t.call('GET', '/api/v1/experiments/xpcs-1/files/count')).body.count, 5);
  });

  it('removes the partial copies an interrupted transfer left behind', async () => {
    const leftover = join(experiment.dataDirectory, 'scan_001', '.frame_0009.tif.dm-partial-0badc0de');
    writeFileSync(leftover, 'half a frame');
    const result = await upload({
      dataDirectory: join(beamline.path, 'scan_001'),
      destDirectory: 'scan_001',
    });
    assert.equal(result.status, 'done');
    assert.equal(existsSync(leftover), false, 'the leftover partial file is gone');
  });

  it('puts an upload under a destination directory', async () => {
    const result = await upload({
      dataDirectory: join(beamline.path, 'scan_002'),
      destDirectory: 'reprocessed/run2',
    });
    assert.equal(result.status, 'done');
    assert.ok(existsSync(join(experiment.dataDirectory, 'reprocessed', 'run2', 'frame_0001.tif')));
  });

  it('searches by path, metadata, size, and pages in any order', async () => {
    const annotated = await t.call(
      'PATCH',
      `/api/v1/experiments/xpcs-1/file?path=${encodeURIComponent('scan_001/frame_0002.tif')}`,
      {
        token: alice,
        body: { metadata: { sample: 'lysozyme', temperature: 295.5, good: true } },
      },
    );
    assert.equal(annotated.status, 200);
    assert.deepEqual(annotated.body.metadata, { sample: 'lysozyme', temperature: 295.5, good: true });
    await t.call(
      'PATCH',
      `/api/v1/experiments/xpcs-1/file?path=${encodeURIComponent('scan_002/frame_0001.tif')}`,
      {
        body: { metadata: { sample: 'insulin', temperature: 310 } },
      },
    );
    const query = (q: string) => t.call('GET', `/api/v1/experiments/xpcs-1/files?${q}`);
    assert.deepEqual(names(await query('pathGlob=scan_001/*')), [
      'scan_001/frame_0001.tif',
      'scan_001/frame_0002.tif',
    ]);
    assert.deepEqual(names(await query(`where=${encodeURIComponent('sample=lysozyme')}`)), [
      'scan_001/frame_0002.tif',
    ]);
    assert.deepEqual(names(await query(`where=${encodeURIComponent('temperature>300')}`)), [
      'scan_002/frame_0001.tif',
    ]);
    assert.deepEqual(
      names(
        await query(
          `where=${encodeURIComponent('temperature exists')}&where=${encodeURIComponent('sample~ly*')}`,
        ),
      ),
      ['scan_001/frame_0002.tif'],
    );
    assert.deepEqual(names(await query(`where=${encodeURIComponent('size>=2000')}&pathGlob=scan_*`)), [
      'scan_001/frame_0002.tif',
      'scan_002/frame_0001.tif',
      'scan_002/master.h5',
    ]);
    const bySize: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { experimentFilePath: string }[]; nextCursor: string | null } } =
        await query(`sort=-size&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      bySize.push(...names(page));
      cursor = page.body.nextCursor;
    } while (cursor);
    // Equal sizes fall back to the id, in the same direction: the later copy first.
    assert.deepEqual(bySize, [
      'reprocessed/run2/master.h5',
      'scan_002/master.h5',
      'scan_001/frame_0002.tif',
      'reprocessed/run2/frame_0001.tif',
      'scan_002/frame_0001.tif',
      'scan_001/frame_0001.tif',
      'notes.txt',
    ]);
    const count = await t.call(
      'GET',
      `/api/v1/experiments/xpcs-1/files/count?where=${encodeURIComponent('temperature<1000')}`,
    );
    assert.equal(count.body.count, 2);
    const keys = await t.call('GET', '/api/v1/experiments/xpcs-1/files/keys');
    const userKeys = keys.body.items.filter((k: { key: string }) => !k.key.startsWith('entry'));
    assert.deepEqual(userKeys, [
      { key: 'good', count: 1 },
      { key: 'sample', count: 2 },
      { key: 'temperature', count: 2 },
    ]);
    assert.ok(
      keys.body.items.some((k: { key: string; count: number }) => k.key === 'entry/title' && k.count === 2),
      'HDF5 keys are listed',
    );
    const bad = await query(`where=${encodeURIComponent('temperature >>> 3')}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details.fields[0].field, 'where/0');
    // A fraction of a byte is a 400 on both databases, not a PostgreSQL bigint error.
    for (const fraction of ['size>1.5', 'size=5e-324', 'fileSize<0.1']) {
      const refused = await query(`where=${encodeURIComponent(fraction)}`);
      assert.equal(refused.status, 400, fraction);
      assert.match(refused.body.error.details.fields[0].message, /whole number of bytes/);
    }
  });

  it('shows files to members only, and lets only staff start uploads', async () => {
    assert.equal((await t.call('GET', '/api/v1/experiments/xpcs-1/files', { token: alice })).status, 200);
    assert.equal((await t.call('GET', '/api/v1/experiments/xpcs-1/files', { token: outsider })).status, 404);
    assert.equal(
      (await t.call('GET', '/api/v1/experiments/xpcs-1/files/count', { token: outsider })).status,
      404,
    );
    assert.equal(
      (await t.call('GET', '/api/v1/experiments/xpcs-1/files/keys', { token: outsider })).status,
      404,
    );
    assert.equal(
      (await t.call('GET', '/api/v1/experiments/xpcs-1/file?path=notes.txt', { token: outsider })).status,
      404,
    );
    const byMember = await t.call('POST', '/api/v1/uploads', {
      token: alice,
      body: { experiment: 'xpcs-1', dataDirectory: '/etc' },
    });
    assert.equal(byMember.status, 403);
    const listed = await t.call('GET', '/api/v1/uploads', { token: outsider });
    assert.deepEqual(listed.body.items, []);
    const someUpload = (await t.call('GET', '/api/v1/uploads')).body.items[0];
    assert.equal((await t.call('GET', `/api/v1/uploads/${someUpload.id}`, { token: outsider })).status, 404);
  });

  it('serves file content to members, whole or from a byte range', async () => {
    const url = `/api/v1/experiments/xpcs-1/file/content?path=${encodeURIComponent('scan_001/frame_0002.tif')}`;
    const whole = await t.app.http.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${alice}` },
    });
    assert.equal(whole.statusCode, 200);
    assert.equal(whole.body, 'b'.repeat(3000));
    assert.equal(whole.headers['x-dm-md5'], createHash('md5').update('b'.repeat(3000)).digest('hex'));
    const rest = await t.app.http.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${alice}`, range: 'bytes=2990-' },
    });
    assert.equal(rest.statusCode, 206);
    assert.equal(rest.headers['content-range'], 'bytes 2990-2999/3000');
    assert.equal(rest.body, 'b'.repeat(10));
    const outsiderRead = await t.app.http.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${outsider}` },
    });
    assert.equal(outsiderRead.statusCode, 404);
    const badRange = await t.app.http.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${alice}`, range: 'bytes=5000-' },
    });
    assert.equal(badRange.statusCode, 400);
    const notCataloged = await t.call('GET', '/api/v1/experiments/xpcs-1/file/content?path=.hidden');
    assert.equal(notCataloged.status, 404);
  });

  it('refuses a source that is not a directory and a destination outside the experiment', async () => {
    const notDirectory = await t.call('POST', '/api/v1/uploads', {
      body: { experiment: 'xpcs-1', dataDirectory: join(beamline.path, 'notes.txt') },
    });
    assert.equal(notDirectory.status, 400);
    assert.equal(notDirectory.body.error.details.fields[0].field, 'dataDirectory');
    for (const destDirectory of ['../other', 'a/../../b']) {
      const outside = await t.call('POST', '/api/v1/uploads', {
        body: { experiment: 'xpcs-1', dataDirectory: beamline.path, destDirectory },
      });
      assert.equal(outside.status, 400, destDirectory);
      assert.equal(outside.body.error.details.fields[0].field, 'destDirectory');
    }
  });

  it('deletes files from storage and catalog, and keeps the experiment while it holds files', async () => {
    assert.equal((await t.call('DELETE', '/api/v1/experiments/xpcs-1')).status, 409);
    const denied = await t.call('POST', '/api/v1/experiments/xpcs-1/files/delete', {
      token: alice,
      body: { paths: ['notes.txt'] },
    });
    assert.equal(denied.status, 403);
    const deleted = await t.call('POST', '/api/v1/experiments/xpcs-1/files/delete', {
      body: { paths: ['notes.txt'] },
    });
    assert.deepEqual(deleted.body, { deleted: 1 });
    assert.equal(existsSync(join(experiment.dataDirectory, 'notes.txt')), false);
    assert.equal((await t.call('GET', '/api/v1/experiments/xpcs-1/file?path=notes.txt')).status, 404);
  });
});
