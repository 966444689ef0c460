/**
 * claimLeased on both databases: what it takes (pending rows, expired leases) and what it leaves (live
 * leases, and the rows its own claimer still runs although their lease expired, as happens when the
 * database's disk was full and no renewal got through).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { claimLeased, newLeaseOwner } from '../src/claims/leases.ts';
import { openDatabase } from '../src/db/connection.ts';
import { insertExperiment } from '../src/experiments/store.ts';
import { insertStation } from '../src/stations/store.ts';
import { insertUpload } from '../src/uploads/store.ts';
import { createTestDatabase, describeBackends, type TestDatabase } from './support/test-database.ts';

const t0 = '2026-12-07T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(t0) + seconds * 1000).toISOString();

describeBackends('claimLeased', (backend) => {
  let database: TestDatabase;
  let handle: ReturnType<typeof openDatabase>;
  let experimentId: number;

  before(async () => {
    database = await createTestDatabase(backend);
    handle = openDatabase({ url: database.url });
    const station = await insertStation(handle.db, { name: '8-ID-I', description: null, now: t0 });
    const experiment = await insertExperiment(handle.db, {
      name: 'leases',
      stationId: station.id,
      typeId: null,
      description: null,
      startDate: null,
      endDate: null,
      now: t0,
    });
    experimentId = experiment.id;
  });
  after(async () => {
    await handle?.close();
    await database?.drop();
  });

  const newUpload = () =>
    insertUpload(handle.db, {
      experimentId,
      dataDirectory: '/data/scan',
      destDirectory: '',
      reprocess: false,
      createdBy: 'admin',
      sourceAccount: null,
      now: t0,
    });

  it('leaves a row its claimer runs even when its lease expired, and takes it back for anyone else', async () => {
    const id = await newUpload();
    const owner = newLeaseOwner();
    assert.equal(await claimLeased(handle.db, 'uploads', owner, at(0), at(30)), id, 'pending: claimed');
    assert.equal(await claimLeased(handle.db, 'uploads', owner, at(10), at(40)), undefined, 'lease live');

    // 60 s later no renewal got through: the lease has expired, but this claimer still runs the upload.
    const expired = await claimLeased(handle.db, 'uploads', owner, at(60), at(90), { running: [id] });
    assert.equal(expired, undefined, 'not claimed a second time by the process that runs it');
    const row = await handle.db
      .selectFrom('uploads')
      .select(['lease_owner', 'lease_expires_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { lease_owner: owner, lease_expires_at: at(30) }, 'the row is untouched');

    // Another process (which does not run it) takes the expired lease over.
    const other = newLeaseOwner();
    assert.equal(await claimLeased(handle.db, 'uploads', other, at(60), at(90), { running: [] }), id);
  });

  it('takes the next claimable row past the ones it runs', async () => {
    const owner = newLeaseOwner();
    const first = await newUpload();
    const second = await newUpload();
    const claimed = await claimLeased(handle.db, 'uploads', owner, at(0), at(30), { running: [first] });
    assert.equal(claimed, second);
  });
});
