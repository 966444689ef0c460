/**
 * A station's sources are read as its unix account, not as root (issue 10): a directory root may read but
 * the account may not is refused, and its unreadable files are reported instead of copied, for uploads and
 * DAQs alike. Real accounts and modes: needs root (skipped with the reason otherwise).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { ensureUnixAccount, runningAsRoot } from './support/unix-accounts.ts';
import { readUntil } from './support/wait.ts';

const account = 'dmsrc8id';
const group = 'dmsrc8idgrp';
const skipReason = runningAsRoot() ? undefined : 'needs root to make accounts and switch to them';

describeBackends('the station unix account reads the sources', (backend) => {
  let t: TestApp;
  let beamline: TempDir;
  let mia: string;

  before(async () => {
    if (skipReason) return;
    ensureUnixAccount(account);
    ensureUnixAccount('dmforbidden');
    try {
      execFileSync('groupadd', [group], { stdio: 'ignore' });
    } catch {
      // made by the other backend's run, or another test file
    }
    execFileSync('usermod', ['-aG', group, account]);
    t = await createTestApp(backend, { DM_FORBIDDEN_ACCOUNTS: 'dmforbidden' });
    mia = await t.user('mia');
    await t.station('8-ID-I', ['mia']);
    await t.experiment('xpcs-1', '8-ID-I');
    beamline = await tempDir('dm-account-');
    chmodSync(beamline.path, 0o755);
    const run = join(beamline.path, 'run1');
    mkdirSync(run);
    writeFileSync(join(run, 'shared.tif'), 'everyone');
    writeFileSync(join(run, 'secret.tif'), 'root only', { mode: 0o600 });
    chmodSync(join(run, 'secret.tif'), 0o600);
    writeFileSync(join(run, 'group.tif'), 'the beamline group');
    chownSync(
      join(run, 'group.tif'),
      0,
      Number(execFileSync('getent', ['group', group]).toString().split(':')[2]),
    );
    chmodSync(join(run, 'group.tif'), 0o640);
    mkdirSync(join(run, 'closed'), { mode: 0o700 });
    chmodSync(join(run, 'closed'), 0o700);
    writeFileSync(join(run, 'closed', 'inside.tif'), 'in a directory the account may not enter');
    mkdirSync(join(beamline.path, 'locked'));
    chmodSync(join(beamline.path, 'locked'), 0o700);
    writeFileSync(join(beamline.path, 'locked', 'a.tif'), 'root only');
    mkdirSync(join(beamline.path, 'daq'));
    assert.equal(
      (await t.call('PUT', '/api/v1/stations/8-ID-I/source-roots', { body: { path: beamline.path } })).status,
      200,
    );
  });
  after(async () => {
    if (skipReason) return;
    await t.close();
    await beamline.remove();
  });

  it('lets admins set a non-system, allowed account only', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const byManager = await t.call('PUT', '/api/v1/stations/8-ID-I/source-account', {
      token: mia,
      body: { account },
    });
    assert.equal(byManager.status, 403);
    for (const [name, status] of [
      ['daemon', 400],
      ['root', 400],
      ['dmforbidden', 400],
      ['no-such-dm-account', 409],
    ] as const) {
      const refused = await t.call('PUT', '/api/v1/stations/8-ID-I/source-account', {
        body: { account: name },
      });
      assert.equal(refused.status, status, `${name}: ${JSON.stringify(refused.body)}`);
    }
    const set = await t.call('PUT', '/api/v1/stations/8-ID-I/source-account', { body: { account } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.sourceAccount, account);
    assert.equal(set.body.checkedAs, account);
  });

  it('refuses a directory root may read but the station account may not', async (context) => {
    if (skipReason) return context.skip(skipReason);
    for (const kind of ['uploads', 'daqs']) {
      const refused = await t.call('POST', `/api/v1/${kind}`, {
        token: mia,
        body: { experiment: 'xpcs-1', dataDirectory: join(beamline.path, 'locked') },
      });
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'source_unreadable');
      assert.equal(refused.body.error.details.field, 'dataDirectory');
      assert.match(refused.body.error.message, new RegExp(account));
    }
  });

  it('reports the files the account may not read instead of copying them, and takes the rest', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const created = await t.call('POST', '/api/v1/uploads', {
      token: mia,
      body: { experiment: 'xpcs-1', dataDirectory: join(beamline.path, 'run1'), destDirectory: 'upload' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const upload = await readUntil(
      async () => (await t.call('GET', `/api/v1/uploads/${created.body.id}`)).body,
      (upload) => upload.status !== 'pending' && upload.status !== 'running',
      { timeout: 60_000, interval: 100 },
    );
    assert.equal(upload.status, 'failed');
    assert.deepEqual(upload.errors.map((e: { path: string }) => e.path).sort(), [
      'upload/closed/inside.tif',
      'upload/secret.tif',
    ]);
    assert.match(upload.errors[0].error, /may not read/);
    const files = await t.call('GET', '/api/v1/experiments/xpcs-1/files?limit=1000');
    assert.deepEqual(
      files.body.items.map((file: { experimentFilePath: string }) => file.experimentFilePath),
      ['upload/group.tif', 'upload/shared.tif'],
    );
  });

  it('lets a DAQ take what the account may read and report the rest', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const daqDirectory = join(beamline.path, 'daq');
    const created = await t.call('POST', '/api/v1/daqs', {
      token: mia,
      body: { experiment: 'xpcs-1', dataDirectory: daqDirectory, destDirectory: 'daq', settleSeconds: 0 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    writeFileSync(join(daqDirectory, 'open.tif'), 'readable');
    writeFileSync(join(daqDirectory, 'closed.tif'), 'root only', { mode: 0o600 });
    chmodSync(join(daqDirectory, 'closed.tif'), 0o600);
    const daq = await readUntil(
      async () => (await t.call('GET', `/api/v1/daqs/${created.body.id}`)).body,
      (daq) => daq.nProcessedFiles >= 1 && daq.nProcessingErrors >= 1,
      { timeout: 60_000, interval: 100 },
    );
    await t.call('POST', `/api/v1/daqs/${daq.id}/stop`);
    assert.equal(daq.nProcessedFiles, 1);
    assert.deepEqual(
      daq.errors.map((e: { path: string }) => e.path),
      ['daq/closed.tif'],
    );
    const file = await t.call(
      'GET',
      `/api/v1/experiments/xpcs-1/file?path=${encodeURIComponent('daq/closed.tif')}`,
    );
    assert.equal(file.status, 404);
  });
});
