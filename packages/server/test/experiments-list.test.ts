/**
 * What the portal's experiment list and page need from the API: the list in any sortable order, paged with a
 * cursor that neither skips nor repeats, and each experiment's file count and volume from the catalog's
 * running totals (never counted on the fly), for members only.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

describeBackends('experiment list order and file totals', (backend) => {
  let t: TestApp;
  let beamline: TempDir;
  let bob: string;

  before(async () => {
    t = await createTestApp(backend);
    bob = await t.user('bob');
    await t.station('8-ID-I');
    await t.station('2-BM');
    await t.experiment('c-xpcs', '8-ID-I', { startDate: '2026-03-01', users: ['bob'] });
    await t.experiment('a-tomo', '2-BM', { startDate: '2026-01-15' });
    await t.experiment('d-tomo', '2-BM');
    await t.experiment('b-xpcs', '8-ID-I', { startDate: '2026-02-01', users: ['bob'] });
    await t.experiment('e-xpcs', '8-ID-I', { startDate: '2026-02-01' });
    await t.call('POST', '/api/v1/experiments/e-xpcs/start');
    await t.call('POST', '/api/v1/experiments/a-tomo/start');
    beamline = await tempDir('dm-totals-');
    writeFileSync(join(beamline.path, 'one.tif'), 'a'.repeat(1500));
    writeFileSync(join(beamline.path, 'two.tif'), 'b'.repeat(2500));
  });
  after(async () => {
    await t.close();
    await beamline.remove();
  });

  /** Every name of the list in `sort` order, read two at a time through the cursor. */
  async function allPages(sort: string, token?: string): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const query: string = `sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await t.call('GET', `/api/v1/experiments?${query}`, { token });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      names.push(...response.body.items.map((e: { name: string }) => e.name));
      cursor = response.body.nextCursor;
      if (cursor === null) return names;
    }
    throw new Error('the list never ended');
  }

  it('sorts by each column both ways, ties by name, and pages through without a gap or a repeat', async () => {
    assert.deepEqual(await allPages('name'), ['a-tomo', 'b-xpcs', 'c-xpcs', 'd-tomo', 'e-xpcs']);
    assert.deepEqual(await allPages('-name'), ['e-xpcs', 'd-tomo', 'c-xpcs', 'b-xpcs', 'a-tomo']);
    assert.deepEqual(await allPages('station'), ['a-tomo', 'd-tomo', 'b-xpcs', 'c-xpcs', 'e-xpcs']);
    assert.deepEqual(await allPages('-station'), ['e-xpcs', 'c-xpcs', 'b-xpcs', 'd-tomo', 'a-tomo']);
    assert.deepEqual(await allPages('status'), ['b-xpcs', 'c-xpcs', 'd-tomo', 'a-tomo', 'e-xpcs']);
    // No start date sorts first; equal dates by name.
    assert.deepEqual(await allPages('startDate'), ['d-tomo', 'a-tomo', 'b-xpcs', 'e-xpcs', 'c-xpcs']);
    assert.deepEqual(await allPages('-startDate'), ['c-xpcs', 'e-xpcs', 'b-xpcs', 'a-tomo', 'd-tomo']);
  });

  it('sorts only what the caller may see', async () => {
    assert.deepEqual(await allPages('-startDate', bob), ['c-xpcs', 'b-xpcs']);
  });

  it('refuses an unknown order and a cursor it did not make', async () => {
    const badSort = await t.call('GET', '/api/v1/experiments?sort=pi');
    assert.equal(badSort.status, 400);
    assert.equal(badSort.body.error.code, 'validation_failed');
    const forged = Buffer.from(JSON.stringify('a-tomo')).toString('base64url');
    const badCursor = await t.call('GET', `/api/v1/experiments?cursor=${forged}`);
    assert.equal(badCursor.status, 400);
    assert.equal(badCursor.body.error.details.fields[0].field, 'cursor');
  });

  it('shows each experiment its file count and volume, as the catalog keeps them', async () => {
    const empty = await t.call('GET', '/api/v1/experiments/b-xpcs');
    assert.equal(empty.body.fileCount, 0);
    assert.equal(empty.body.fileBytes, 0);

    const started = await t.call('POST', '/api/v1/uploads', {
      body: { experiment: 'b-xpcs', dataDirectory: beamline.path },
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    let status = started.body.status;
    for (let i = 0; i < 600 && !['done', 'failed', 'aborted'].includes(status); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await t.call('GET', `/api/v1/uploads/${started.body.id}`)).body.status;
    }
    assert.equal(status, 'done');

    const shown = await t.call('GET', '/api/v1/experiments/b-xpcs', { token: bob });
    assert.equal(shown.body.fileCount, 2);
    assert.equal(shown.body.fileBytes, 4000);
    const listed = await t.call('GET', '/api/v1/experiments?user=bob', { token: bob });
    const row = listed.body.items.find((e: { name: string }) => e.name === 'b-xpcs');
    assert.deepEqual([row.fileCount, row.fileBytes], [2, 4000]);

    const removed = await t.call('POST', '/api/v1/experiments/b-xpcs/files/delete', {
      body: { paths: ['one.tif'] },
    });
    assert.deepEqual(removed.body, { deleted: 1 });
    const after = await t.call('GET', '/api/v1/experiments/b-xpcs');
    assert.deepEqual([after.body.fileCount, after.body.fileBytes], [1, 2500]);
  });
});
