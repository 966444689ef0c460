/**
 * A range that few files satisfy (`energy>=24.9` in the 1M-record benchmark) drives the search through the
 * metadata index on both databases, and finds exactly what a test of each record's JSON finds: sorted either
 * way, page after page, counted, and combined with other conditions. PostgreSQL's own statistics mix every
 * key's numbers, so there the catalog measures the range and hands the planner the ids it matches.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { countQuery, searchQuery } from '../src/catalog/search-store.ts';
import * as store from '../src/catalog/store.ts';
import { addToTotals, syncFileMetadata } from '../src/catalog/summary-store.ts';
import type { Condition } from '../src/catalog/where.ts';
import { type DatabaseHandle, openDatabase } from '../src/db/connection.ts';
import { metadataCondition } from '../src/db/metadata-query.ts';
import type { FileRow } from '../src/db/tables.ts';
import { addExperiment } from './support/catalog-records.ts';
import { createTestDatabase, describeBackends, type TestDatabase } from './support/test-database.ts';

const fileCount = 2_000;
/** Every 100th file is at the top of the energy range: 20 of 2,000. */
const energyOf = (n: number) => (n % 100 === 7 ? 24.95 : 5 + (n % 97) / 5);
const metadataOf = (n: number) => ({
  sample: n % 3 === 0 ? 'lysozyme' : 'insulin',
  temperature: 250 + (n % 100),
  energy: energyOf(n),
  scan_number: Math.floor(n / 100),
});

describeBackends('catalog rare range', (backend) => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let experimentId: number;

  before(async () => {
    database = await createTestDatabase(backend);
    handle = openDatabase({ url: database.url, poolSize: 2 });
    experimentId = await addExperiment(handle, 'rare-range');
    const now = new Date().toISOString();
    const rows = Array.from({ length: fileCount }, (_, n) => ({
      experiment_id: experimentId,
      path: `scan_${String(Math.floor(n / 100)).padStart(2, '0')}/frame_${String(n).padStart(5, '0')}.h5`,
      size: 1 + ((n * 7919) % fileCount), // sizes in another order than paths
      mtime: now,
      md5: '-',
      sha256: '-',
      status: 'stored' as const,
      source: null,
      origin_type: 'manual' as const,
      origin_id: null,
      transfer_ms: null,
      metadata: JSON.stringify(metadataOf(n)),
      created_at: now,
      updated_at: now,
    }));
    await handle.db.transaction().execute(async (trx) => {
      const ids: number[] = [];
      for (let i = 0; i < rows.length; i += 500) {
        const inserted = await trx
          .insertInto('files')
          .values(rows.slice(i, i + 500))
          .returning('id')
          .execute();
        ids.push(...inserted.map((row) => row.id));
      }
      await syncFileMetadata(trx, handle.profile, { ids });
      await addToTotals(trx, experimentId, rows.length, rows.length);
    });
  });
  after(async () => {
    await handle.close();
    await database.drop();
  });

  /** What the catalog did before its index: each record's JSON tested by each condition. */
  async function byJson(conditions: Condition[], sort: 'path' | 'size', descending: boolean) {
    let query = handle.db.selectFrom('files').selectAll().where('experiment_id', '=', experimentId);
    for (const { key, operator, value } of conditions)
      query = query.where(metadataCondition(handle.profile, 'metadata', key, operator, value));
    const direction = descending ? 'desc' : 'asc';
    return (await query.orderBy(sort, direction).orderBy('id', direction).execute()).map((f) => f.path);
  }

  /** Every page of a listing, following the cursor as the API does. */
  async function allPages(
    conditions: Condition[],
    sort: 'path' | 'size',
    descending: boolean,
    limit: number,
  ) {
    const paths: string[] = [];
    let after: [string | number, number] | undefined;
    for (;;) {
      const rows: FileRow[] = await store.listFiles(handle.db, handle.profile, {
        experimentId,
        conditions,
        sort,
        descending,
        after,
        limit,
      });
      paths.push(...rows.slice(0, limit).map((row) => row.path));
      if (rows.length <= limit) return paths;
      const last = rows[limit - 1];
      assert.ok(last);
      after = [last[sort], last.id];
    }
  }

  it('lists, pages and counts a rare range exactly, in either order and with other conditions', async () => {
    const searches: Condition[][] = [
      [{ key: 'energy', operator: '>=', value: 24.9 }],
      [{ key: 'energy', operator: '>', value: 24.9 }],
      [
        { key: 'energy', operator: '>=', value: 24.9 },
        { key: 'sample', operator: '=', value: 'lysozyme' },
      ],
      [
        { key: 'temperature', operator: '<', value: 300 },
        { key: 'energy', operator: '>=', value: 24.9 },
        { key: 'scan_number', operator: '<', value: 10 },
      ],
    ];
    for (const conditions of searches) {
      for (const [sort, descending] of [
        ['path', false],
        ['size', true],
      ] as const) {
        const expected = await byJson(conditions, sort, descending);
        const label = `${JSON.stringify(conditions)} by ${descending ? '-' : ''}${sort}`;
        assert.ok(expected.length > 0, `${label} matches nothing: it proves little`);
        assert.deepEqual(await allPages(conditions, sort, descending, 7), expected, label);
      }
      const count = await store.countFiles(handle.db, handle.profile, { experimentId, conditions });
      assert.equal(
        count,
        (await byJson(conditions, 'path', false)).length,
        `count of ${JSON.stringify(conditions)}`,
      );
    }
    const [first] = searches;
    assert.ok(first);
    assert.equal((await byJson(first, 'path', false)).length, 20);
  });

  it('drives a search from the rare range, and not from a common one', async () => {
    const rare: Condition = { key: 'energy', operator: '>=', value: 24.9 };
    const common: Condition = { key: 'temperature', operator: '>=', value: 260 };
    const compiled = async (conditions: Condition[]) =>
      (await searchQuery(handle.db, handle.profile, { experimentId, conditions }, { limit: 10 }))
        .select('files.id')
        .compile();
    const driven = await compiled([rare, common]);
    const walked = await compiled([common]);
    if (backend === 'postgres') {
      // The planner gets the 20 ids themselves, so it knows how few there are.
      const arrays = driven.parameters.filter(Array.isArray) as number[][];
      assert.equal(arrays.length, 1, driven.sql);
      assert.equal(arrays[0]?.length, 20);
      assert.match(driven.sql, /= any\(\$\d+::integer\[\]\)/);
      assert.equal(walked.parameters.filter(Array.isArray).length, 0, walked.sql);
    } else {
      assert.match(driven.sql, /"files"\."id" in \(select m\.file_id from file_metadata m/);
      assert.doesNotMatch(walked.sql, /in \(select m\.file_id/);
    }
    // A count over a path glob goes through the same search; it must count the rare range whole.
    const counted = await (
      await countQuery(handle.db, handle.profile, { experimentId, pathGlob: 'scan_1*/*', conditions: [rare] })
    ).executeTakeFirstOrThrow();
    assert.equal(Number(counted.n), 10);
  });
});
