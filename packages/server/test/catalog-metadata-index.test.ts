/**
 * The catalog's metadata index: searches through it find exactly what a test of each record's JSON finds,
 * and the key counts and totals stay exact through inserts, annotations, overwrites, deletes and
 * concurrent writers.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { findFile } from '../src/catalog/file-records.ts';
import * as store from '../src/catalog/store.ts';
import { addToTotals, syncFileMetadata } from '../src/catalog/summary-store.ts';
import type { Condition } from '../src/catalog/where.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/connection.ts';
import { metadataCondition } from '../src/db/metadata-query.ts';
import { addExperiment, assertDerivedExact, putFile } from './support/catalog-records.ts';
import { createTestDatabase, describeBackends, type TestDatabase } from './support/test-database.ts';

/** Metadata of every JSON type, and keys that need quoting in a JSON path. */
const records: Record<string, string> = {
  'a.h5': '{"sample": "lysozyme", "n": 42, "title": "scan 1", "entry/title": "lysozyme dynamics"}',
  'b.h5': '{"sample": "insulin", "n": 42.5, "flag": true, "a.b": 1}',
  'c.h5': '{"sample": "42", "n": "42", "nothing": null, "q\\"uote": "x"}',
  'd.h5': '{"sample": "Lysozyme", "n": 42.0, "list": ["x"], "obj": {"a": 1}}',
  'e.h5': '{"sample": "ly_so%zyme", "n": -1e-7, "big": 12345678901234567890}',
  'f.h5': '{"flag": false, "n": 300, "list": "x"}',
  'g.h5': '{}',
};

const keys = ['sample', 'n', 'flag', 'nothing', 'list', 'obj', 'entry/title', 'a.b', 'q"uote', 'big', 'gone'];
const comparisons: Array<[Condition['operator'], string | number | undefined]> = [
  ['=', 'lysozyme'],
  ['=', 42],
  ['=', '42'],
  ['=', 'x'],
  ['=', 1],
  ['!=', 42],
  ['!=', 'lysozyme'],
  ['<', 42.5],
  ['<=', 42],
  ['>', 0],
  ['>=', 'insulin'],
  ['<', 'm'],
  ['~', 'ly*'],
  ['~', '*yme'],
  ['~', 'ly_so%*'],
  ['~', '4?'],
  ['exists', undefined],
];

describeBackends('catalog metadata index', (backend) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let experimentId: number;

  before(async () => {
    database = await createTestDatabase(backend);
    handle = openDatabase({ url: database.url, poolSize: 4 });
    experimentId = await addExperiment(handle, 'semantics');
    // Written as JSON text, so that 42.0 stays 42.0 where the database keeps it.
    const now = new Date().toISOString();
    await handle.db.transaction().execute(async (trx) => {
      const rows = await trx
        .insertInto('files')
        .values(
          Object.entries(records).map(([path, metadata]) => ({
            experiment_id: experimentId,
            path,
            size: 1,
            mtime: now,
            md5: '-',
            sha256: '-',
            status: 'stored' as const,
            source: null,
            origin_type: 'manual' as const,
            origin_id: null,
            transfer_ms: null,
            metadata,
            created_at: now,
            updated_at: now,
          })),
        )
        .returning('id')
        .execute();
      await syncFileMetadata(trx, handle.profile, { ids: rows.map((row) => row.id) });
      await addToTotals(trx, experimentId, rows.length, rows.length);
    });
  });
  after(async () => {
    await handle.close();
    await database.drop();
  });

  /** What the catalog did before its index: each record's JSON tested by each condition. */
  async function byJson(conditions: Condition[]): Promise<string[]> {
    let query = handle.db.selectFrom('files').select('path').where('experiment_id', '=', experimentId);
    for (const { key, operator, value } of conditions) {
      query = query.where(metadataCondition(handle.profile, 'metadata', key, operator, value));
    }
    return (await query.orderBy('path').execute()).map((row) => row.path);
  }

  async function search(conditions: Condition[]) {
    const search = { experimentId, conditions };
    const rows = await store.listFiles(handle.db, handle.profile, {
      ...search,
      sort: 'path',
      descending: false,
      limit: 100,
    });
    return {
      paths: rows.map((row) => row.path),
      count: await store.countFiles(handle.db, handle.profile, search),
    };
  }

  it('finds what a test of the JSON finds, for every operator and type', async () => {
    let nonEmpty = 0;
    for (const key of keys) {
      for (const [operator, value] of comparisons) {
        const conditions = [{ key, operator, value }];
        const expected = await byJson(conditions);
        const found = await search(conditions);
        const label = `${key} ${operator} ${JSON.stringify(value)}`;
        assert.deepEqual(found.paths, expected, label);
        assert.equal(found.count, expected.length, `count of ${label}`);
        if (expected.length > 0) nonEmpty++;
      }
    }
    assert.ok(nonEmpty > 40, `only ${nonEmpty} conditions matched anything: the comparison proves little`);
  });

  it('combines conditions as the JSON test does, whichever drives', async () => {
    const combinations: Condition[][] = [
      [
        { key: 'sample', operator: '~', value: '*yme' },
        { key: 'n', operator: '>=', value: 42 },
      ],
      [
        { key: 'n', operator: '=', value: 42 },
        { key: 'sample', operator: '!=', value: 'lysozyme' },
      ],
      [
        { key: 'list', operator: 'exists', value: undefined },
        { key: 'n', operator: '>', value: 0 },
        { key: 'flag', operator: '!=', value: 1 },
      ],
      [
        { key: 'sample', operator: '=', value: 'lysozyme' },
        { key: 'sample', operator: '=', value: 'insulin' },
      ],
      [
        { key: 'sample', operator: '=', value: 'lysozyme' },
        { key: 'n', operator: '=', value: 42 },
        { key: 'title', operator: '=', value: 'scan 1' },
      ],
    ];
    for (const conditions of combinations) {
      const expected = await byJson(conditions);
      const found = await search(conditions);
      assert.deepEqual(found.paths, expected, JSON.stringify(conditions));
      assert.equal(found.count, expected.length, JSON.stringify(conditions));
    }
    const fifth = combinations[4];
    assert.ok(fifth);
    assert.deepEqual((await search(fifth)).paths, ['a.h5']);
  });

  it('keeps key counts, totals and searches exact through annotations, overwrites and deletes', async () => {
    const id = await addExperiment(handle, 'lifecycle');
    await putFile(handle, id, 'scan/1.h5', { sample: 'lysozyme', temperature: 295 }, 100);
    await putFile(handle, id, 'scan/2.h5', { sample: 'insulin', temperature: 310 }, 200);
    await putFile(handle, id, 'scan/3.h5', { sample: 'lysozyme' }, 300);
    await assertDerivedExact(handle);
    assert.deepEqual(await store.metadataKeys(handle.db, id), [
      { key: 'sample', count: 3 },
      { key: 'temperature', count: 2 },
    ]);
    const count = (conditions: Condition[]) =>
      store.countFiles(handle.db, handle.profile, { experimentId: id, conditions });
    assert.equal(await count([]), 3);

    // A user annotates a file: a key added, one removed, one changed.
    const second = await findFile(handle.db, id, 'scan/2.h5');
    assert.ok(second);
    await handle.db
      .transaction()
      .execute((trx) =>
        store.setMetadata(trx, handle.profile, second.id, { sample: 'lysozyme', good: true }, 'now'),
      );
    await assertDerivedExact(handle);
    assert.deepEqual(await store.metadataKeys(handle.db, id), [
      { key: 'good', count: 1 },
      { key: 'sample', count: 3 },
      { key: 'temperature', count: 1 },
    ]);
    assert.equal(await count([{ key: 'sample', operator: '=', value: 'lysozyme' }]), 3);
    assert.equal(await count([{ key: 'temperature', operator: '>', value: 300 }]), 0);

    // The file is taken again with new content and size (overwrite): its metadata is replaced.
    await putFile(handle, id, 'scan/1.h5', { sample: 'ferritin', energy: 12.5 }, 1000);
    await assertDerivedExact(handle);
    assert.equal(await count([{ key: 'sample', operator: '=', value: 'lysozyme' }]), 2);
    assert.equal(await count([{ key: 'energy', operator: '>=', value: 12 }]), 1);
    assert.equal(
      (
        await handle.db
          .selectFrom('file_totals')
          .select('byte_count')
          .where('experiment_id', '=', id)
          .executeTakeFirstOrThrow()
      ).byte_count,
      1500,
    );

    // Deleting files takes their keys and bytes away; a file named twice, or missing, counts once or not.
    const deleted = await handle.db
      .transaction()
      .execute((trx) =>
        store.deleteFileRecords(trx, handle.profile, id, ['scan/1.h5', 'scan/3.h5', 'scan/3.h5', 'nope']),
      );
    assert.equal(deleted, 2);
    await assertDerivedExact(handle);
    assert.deepEqual(await store.metadataKeys(handle.db, id), [
      { key: 'good', count: 1 },
      { key: 'sample', count: 1 },
    ]);
    assert.equal(await count([]), 1);
    assert.deepEqual((await search([{ key: 'energy', operator: 'exists', value: undefined }])).paths, []);
  });

  it('stays exact under two writers changing the same files at once', async () => {
    const id = await addExperiment(handle, 'concurrent');
    // better-sqlite3 is synchronous: a second connection in this process waiting for the write lock would
    // block the one holding it. SQLite's writers take turns anyway; PostgreSQL's get their own connections.
    const other = backend === 'postgres' ? openDatabase({ url: database.url, poolSize: 4 }) : handle;
    try {
      const writer = async (who: DatabaseHandle, seed: number) => {
        for (let i = 0; i < 60; i++) {
          const n = (i * 7 + seed) % 12;
          const path = `f${n}.h5`;
          const step = (i + seed) % 4;
          if (step === 3) {
            await who.db
              .transaction()
              .execute((trx) => store.deleteFileRecords(trx, who.profile, id, [path]));
          } else if (step === 2) {
            const row = await findFile(who.db, id, path);
            if (row) {
              const metadata = { [`k${i % 5}`]: i, shared: seed };
              await who.db
                .transaction()
                .execute((trx) => store.setMetadata(trx, who.profile, row.id, metadata, 'now'));
            }
          } else {
            await putFile(who, id, path, { sample: `s${i % 3}`, [`k${(i + seed) % 5}`]: seed }, 10 + i);
          }
        }
      };
      await Promise.all([writer(handle, 0), writer(other, 1), writer(handle, 2), writer(other, 3)]);
      await assertDerivedExact(handle);
      const rows = await sql<{
        n: number;
      }>`select count(*) as n from files where experiment_id = ${id}`.execute(handle.db);
      assert.equal(
        await store.countFiles(handle.db, handle.profile, { experimentId: id, conditions: [] }),
        Number(rows.rows[0]?.n),
      );
    } finally {
      if (other !== handle) await other.close();
    }
  });
});
