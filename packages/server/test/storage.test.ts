/**
 * The storage intent log, one crash window at a time: each test puts the database and the disk in the state
 * a crash at that moment leaves, then runs the reconciler that every start runs.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { StorageState } from '../src/db/tables.ts';
import { reconcileStorage } from '../src/storage/reconcile.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

describeBackends('storage trees', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(backend);
    await t.station('8-ID-I');
  });
  after(() => t.close());

  const setState = (name: string, state: StorageState) =>
    t.app.context.db
      .updateTable('experiments')
      .set({ storage_state: state })
      .where('name', '=', name)
      .execute();

  it('finishes an experiment committed just before its directories were made', async () => {
    const experiment = await t.experiment('crashed-create', '8-ID-I');
    await setState('crashed-create', 'pending');
    rmSync(experiment.storageDirectory, { recursive: true });
    const report = await reconcileStorage(t.app.context);
    assert.deepEqual(report.created, ['crashed-create']);
    assert.ok(existsSync(experiment.dataDirectory));
    assert.equal((await t.call('GET', '/api/v1/experiments/crashed-create')).body.storageState, 'ready');
  });

  it('finishes a deletion interrupted after it was recorded', async () => {
    const experiment = await t.experiment('crashed-delete', '8-ID-I');
    await setState('crashed-delete', 'deleting');
    const report = await reconcileStorage(t.app.context);
    assert.deepEqual(report.deleted, ['crashed-delete']);
    assert.equal(existsSync(experiment.storageDirectory), false);
    assert.equal((await t.call('GET', '/api/v1/experiments/crashed-delete')).status, 404);
    const audit = await t.call('GET', '/api/v1/audit?experiment=crashed-delete&action=experiment.delete');
    assert.equal(audit.body.items[0].actor, 'system');
  });

  it('keeps an experiment whose files appeared while its deletion was pending', async () => {
    const experiment = await t.experiment('late-file', '8-ID-I');
    writeFileSync(join(experiment.dataDirectory, 'arrived-late.tif'), 'frame');
    await setState('late-file', 'deleting');
    const report = await reconcileStorage(t.app.context);
    assert.equal(report.failed[0]?.name, 'late-file');
    assert.ok(existsSync(join(experiment.dataDirectory, 'arrived-late.tif')));
    assert.equal((await t.call('GET', '/api/v1/experiments/late-file')).body.storageState, 'ready');
  });

  it('undoes the experiment and answers 503 when its storage cannot be made', async () => {
    await t.station('2-BM');
    // A file where the station directory must go: mkdir fails as it would on a full or read-only disk.
    writeFileSync(join(t.storageRoot, '2-BM'), 'in the way');
    const experiments = await t.count('experiments');
    const response = await t.call('POST', '/api/v1/experiments', {
      body: { name: 'no-room', station: '2-BM' },
    });
    assert.equal(response.status, 503);
    assert.equal(response.body.error.code, 'storage_unavailable');
    assert.equal(await t.count('experiments'), experiments, 'no experiment without storage');
    rmSync(join(t.storageRoot, '2-BM'));
    assert.equal(
      (await t.call('POST', '/api/v1/experiments', { body: { name: 'no-room', station: '2-BM' } })).status,
      201,
    );
  });

  it('has nothing to do when nothing was interrupted', async () => {
    assert.deepEqual(await reconcileStorage(t.app.context), { created: [], deleted: [], failed: [] });
  });
});
