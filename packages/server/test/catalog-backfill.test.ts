/**
 * Migration 0004 on a catalog that already has records: it indexes all of them, in batches, and counts their
 * keys and totals, so that searches, counts and key listings are right from the first start.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Migrator } from 'kysely';
import * as store from '../src/catalog/store.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/connection.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { foundation } from '../src/db/migrations/0001-foundation.ts';
import { catalog } from '../src/db/migrations/0002-catalog.ts';
import { daqs } from '../src/db/migrations/0003-daqs.ts';
import { addExperiment, assertDerivedExact } from './support/catalog-records.ts';
import { createTestDatabase, describeBackends, type TestDatabase } from './support/test-database.ts';

/** More than one batch of the backfill (10,000 files). */
const filesInFirst = 10_050;

describeBackends('catalog backfill (migration 0004)', (backend) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;

  before(async () => {
    database = await createTestDatabase(backend, { migrated: false });
    handle = openDatabase({ url: database.url, poolSize: 2 });
  });
  after(async () => {
    await handle.close();
    await database.drop();
  });

  async function insertFiles(experimentId: number, count: number, metadataOf: (n: number) => object) {
    const now = new Date().toISOString();
    for (let first = 0; first < count; first += 500) {
      const rows = [];
      for (let n = first; n < Math.min(count, first + 500); n++) {
        rows.push({
          experiment_id: experimentId,
          path: `scan_${Math.floor(n / 1000)}/frame_${n}.h5`,
          size: n,
          mtime: now,
          md5: '-',
          sha256: '-',
          status: 'stored' as const,
          source: null,
          origin_type: 'daq' as const,
          origin_id: 1,
          transfer_ms: null,
          metadata: JSON.stringify(metadataOf(n)),
          created_at: now,
          updated_at: now,
        });
      }
      await handle.db.insertInto('files').values(rows).execute();
    }
  }

  it('indexes every existing record, counts keys and totals, and searches find them', async () => {
    const { db, profile } = handle;
    const at0003 = new Migrator({
      db,
      provider: {
        getMigrations: async () => ({
          '0001-foundation': foundation(profile),
          '0002-catalog': catalog(profile),
          '0003-daqs': daqs(profile),
        }),
      },
      migrationTableName: 'dm_migrations',
      migrationLockTableName: 'dm_migrations_lock',
    });
    const migrated = await at0003.migrateTo('0003-daqs');
    assert.equal(migrated.error, undefined);

    const first = await addExperiment(handle, 'before-0004');
    const second = await addExperiment(handle, 'other');
    await insertFiles(first, filesInFirst, (n) => ({
      sample: n % 10 === 0 ? 'lysozyme' : 'insulin',
      temperature: 250 + (n % 100),
      ...(n % 1000 === 7 ? { operator: 'asmith' } : {}),
    }));
    await insertFiles(second, 20, (n) => ({ detector: 'eiger', frame: n }));
    // Gaps in the ids, as deletes leave them.
    await db.deleteFrom('files').where('experiment_id', '=', first).where('size', '<', 5).execute();

    assert.equal((await migrateToLatest(db, profile)).applied[0], '0004-file-metadata');

    await assertDerivedExact(handle);
    const total = filesInFirst - 5;
    const search = (conditions: Parameters<typeof store.countFiles>[2]['conditions']) =>
      store.countFiles(db, profile, { experimentId: first, conditions });
    assert.equal(await search([]), total);
    assert.equal(await search([{ key: 'sample', operator: '=', value: 'lysozyme' }]), 1005 - 1);
    assert.equal(await search([{ key: 'temperature', operator: '>=', value: 340 }]), 10 * 100);
    assert.equal(await search([{ key: 'operator', operator: 'exists', value: undefined }]), 11);
    assert.deepEqual(await store.metadataKeys(db, first), [
      { key: 'operator', count: 11 },
      { key: 'sample', count: total },
      { key: 'temperature', count: total },
    ]);
    assert.deepEqual(await store.metadataKeys(db, second), [
      { key: 'detector', count: 20 },
      { key: 'frame', count: 20 },
    ]);
    const rare = await store.listFiles(db, profile, {
      experimentId: first,
      conditions: [
        { key: 'sample', operator: '=', value: 'lysozyme' },
        { key: 'temperature', operator: '=', value: 250 },
      ],
      sort: 'path',
      descending: false,
      limit: 100,
    });
    assert.equal(rare.length, 101 - 1);
    assert.ok(rare.every((row) => row.size % 100 === 0 && row.size >= 5));
  });
});
