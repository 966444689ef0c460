/**
 * Deleting an experiment while work runs for it: a DAQ, an upload or a job not yet ended keeps it (their
 * copies would write into a tree being removed, and the deletion would take their records along); new work
 * is refused while a deletion is under way; what interrupted transfers left in the tree does not keep it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { insertDaq } from '../src/daq/store.ts';
import { findExperimentByName } from '../src/experiments/lookup.ts';
import { beginDeletion, requireAcceptingWork } from '../src/storage/lifecycle.ts';
import { lockWaits } from './support/lock-waits.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends, type TempDir, tempDir } from './support/test-database.ts';
import { until } from './support/wait.ts';

describeBackends('experiment deletion and the work of the experiment', (backend) => {
  let t: TestApp;
  let detector: TempDir;
  before(async () => {
    t = await createTestApp(backend);
    detector = await tempDir('dm-deletion-detector-');
    await t.station('8-ID-I');
    await t.call('POST', '/api/v1/workflows', {
      body: { definition: { name: 'nap', owner: 'admin', stages: { A: { command: 'sleep 30' } } } },
    });
  });
  after(async () => {
    await t.close();
    await detector.remove();
  });

  it('keeps an experiment while a DAQ, an upload or a job of it has not ended, naming them', async () => {
    await t.experiment('busy', '8-ID-I');
    const daq = await t.call('POST', '/api/v1/daqs', {
      body: { experiment: 'busy', dataDirectory: detector.path },
    });
    assert.equal(daq.status, 201, JSON.stringify(daq.body));
    const job = await t.call('POST', '/api/v1/jobs', { body: { workflow: 'nap', experiment: 'busy' } });
    assert.equal(job.status, 201, JSON.stringify(job.body));

    const refused = await t.call('DELETE', '/api/v1/experiments/busy');
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'experiment_busy');
    assert.deepEqual(refused.body.error.details.daqs, [daq.body.id]);
    assert.deepEqual(refused.body.error.details.jobs, [job.body.id]);
    assert.match(refused.body.error.message, new RegExp(`DAQ ${daq.body.id}.*job ${job.body.id}`));
    assert.equal((await t.call('GET', `/api/v1/daqs/${daq.body.id}`)).status, 200, 'the DAQ is still there');
    assert.equal((await t.call('GET', '/api/v1/experiments/busy')).body.storageState, 'ready');

    await t.call('POST', `/api/v1/daqs/${daq.body.id}/stop`);
    await t.call('POST', `/api/v1/jobs/${job.body.id}/stop`);
    await until(
      async () => {
        const [d, j] = await Promise.all([
          t.call('GET', `/api/v1/daqs/${daq.body.id}`),
          t.call('GET', `/api/v1/jobs/${job.body.id}`),
        ]);
        return (
          !['pending', 'running'].includes(d.body.status) && !['pending', 'running'].includes(j.body.status)
        );
      },
      { interval: 50, message: 'the DAQ and the job end' },
    );
    const deleted = await t.call('DELETE', '/api/v1/experiments/busy');
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
  });

  it('keeps an experiment while an upload of it runs', async () => {
    const experiment = await t.experiment('uploading', '8-ID-I');
    const upload = await t.call('POST', '/api/v1/uploads', {
      body: { experiment: 'uploading', dataDirectory: detector.path },
    });
    assert.equal(upload.status, 201, JSON.stringify(upload.body));
    const refused = await t.call('DELETE', '/api/v1/experiments/uploading');
    // The upload of an empty directory may already have ended: then the deletion is right to go ahead.
    if (refused.status === 409) {
      assert.equal(refused.body.error.code, 'experiment_busy');
      assert.deepEqual(refused.body.error.details.uploads, [upload.body.id]);
      await until(
        async () => {
          const status = (await t.call('GET', `/api/v1/uploads/${upload.body.id}`)).body.status;
          return !['pending', 'running'].includes(status);
        },
        { interval: 50, message: 'the upload ends' },
      );
      assert.equal((await t.call('DELETE', '/api/v1/experiments/uploading')).status, 204);
    } else {
      assert.equal(refused.status, 204, JSON.stringify(refused.body));
    }
    assert.equal(existsSync(experiment.storageDirectory), false);
  });

  it('refuses new work for an experiment being deleted, and changes nothing', async () => {
    await t.experiment('going', '8-ID-I');
    // As a deletion interrupted by a crash leaves it, until the reconciler finishes it.
    await t.app.context.db
      .updateTable('experiments')
      .set({ storage_state: 'deleting' })
      .where('name', '=', 'going')
      .execute();
    const attempts = [
      await t.call('POST', '/api/v1/daqs', { body: { experiment: 'going', dataDirectory: detector.path } }),
      await t.call('POST', '/api/v1/uploads', {
        body: { experiment: 'going', dataDirectory: detector.path },
      }),
      await t.call('POST', '/api/v1/jobs', { body: { workflow: 'nap', experiment: 'going' } }),
    ];
    for (const attempt of attempts) {
      assert.equal(attempt.status, 409, JSON.stringify(attempt.body));
      assert.equal(attempt.body.error.code, 'experiment_deleting');
    }
    const experimentId = (
      await t.app.context.db
        .selectFrom('experiments')
        .select('id')
        .where('name', '=', 'going')
        .executeTakeFirstOrThrow()
    ).id;
    for (const table of ['daqs', 'uploads', 'jobs'] as const) {
      const rows = await t.app.context.db
        .selectFrom(table)
        .select('id')
        .where('experiment_id', '=', experimentId)
        .execute();
      assert.deepEqual(rows, [], `no ${table} recorded`);
    }
  });

  it('removes what interrupted transfers left, however recent, but keeps an experiment holding a real file', async () => {
    const experiment = await t.experiment('leftovers', '8-ID-I');
    const temp = join(experiment.dataDirectory, 'scan-1', '.frame-0001.h5.dm-partial-0a1b2c3d4e5f');
    const staging = join(experiment.systemDirectory, 'daq-staging', '7', '42');
    for (const path of [temp, staging]) {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, 'half a frame');
    }
    const deleted = await t.call('DELETE', '/api/v1/experiments/leftovers');
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    assert.equal(existsSync(experiment.storageDirectory), false);

    const kept = await t.experiment('kept', '8-ID-I');
    await writeFile(join(kept.analysisDirectory, 'fit.txt'), 'a result someone wrote by hand');
    await writeFile(join(kept.dataDirectory, '.frame.h5.dm-partial-111111111111'), 'half');
    const refused = await t.call('DELETE', '/api/v1/experiments/kept');
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'experiment_not_empty');
    assert.equal(existsSync(join(kept.analysisDirectory, 'fit.txt')), true);
  });

  it('makes a deletion wait for work being recorded, then sees that work', async () => {
    await t.experiment('ordered', '8-ID-I');
    const { db } = t.app.context;
    const record = await findExperimentByName(db, 'ordered');
    assert.ok(record);
    let deletion: Promise<unknown> | undefined;
    let settled = false;
    await db.transaction().execute(async (trx) => {
      await requireAcceptingWork(trx, record);
      deletion = beginDeletion(db, record).finally(() => {
        settled = true;
      });
      deletion.catch(() => undefined);
      // PostgreSQL shows the deletion waiting on the lock this transaction holds. SQLite shows nothing: the
      // deletion waits for the one connection, held here, so a fixed wait is all that gives it a chance.
      if (backend === 'postgres')
        await until(async () => (await lockWaits(db)) > 0, { message: 'the deletion waits on the lock' });
      else await sleep(300);
      assert.equal(settled, false, 'the deletion waits while a DAQ is being recorded');
      const now = new Date().toISOString();
      await insertDaq(trx, {
        experiment_id: record.id,
        data_directory: detector.path,
        dest_directory: '',
        skip_patterns: '[]',
        settle_ms: 0,
        new_only: 0,
        overwrite: 0,
        workflow: null,
        workflow_args: '{}',
        stop_at: null,
        mode: 'server',
        agent_name: null,
        created_by: 'admin',
        submitted_at: now,
        updated_at: now,
      });
    });
    assert.ok(deletion);
    await assert.rejects(deletion, (error: { code?: string }) => error.code === 'experiment_busy');
    assert.equal((await findExperimentByName(db, 'ordered'))?.storage_state, 'ready');
  });

  it('never lets a deletion and a new DAQ both win, however they interleave', async () => {
    for (let round = 0; round < 15; round++) {
      const name = `race-${round}`;
      await t.experiment(name, '8-ID-I');
      const [deleted, started] = await Promise.all([
        t.call('DELETE', `/api/v1/experiments/${name}`),
        t.call('POST', '/api/v1/daqs', { body: { experiment: name, dataDirectory: detector.path } }),
      ]);
      const outcome = `delete ${deleted.status} ${JSON.stringify(deleted.body)}, DAQ ${started.status} ${JSON.stringify(started.body)}`;
      if (deleted.status === 204) {
        assert.ok([404, 409].includes(started.status), outcome);
      } else {
        assert.equal(deleted.status, 409, outcome);
        assert.equal(deleted.body.error.code, 'experiment_busy', outcome);
        assert.equal(started.status, 201, outcome);
        await t.call('POST', `/api/v1/daqs/${started.body.id}/stop`);
      }
    }
  });
});
