import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, it } from 'node:test';
import pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../../src/db/connection.ts';
import {
  type Backend,
  createTestDatabase,
  describeBackends,
  type TestDatabase,
  type TestDatabaseOptions,
} from './test-database.ts';

describeBackends('test databases', (backend: Backend) => {
  const handles: DatabaseHandle[] = [];
  const databases: TestDatabase[] = [];

  async function newDatabase(options?: TestDatabaseOptions) {
    const database = await createTestDatabase(backend, options);
    databases.push(database);
    const handle = openDatabase({ url: database.url });
    handles.push(handle);
    return { database, handle };
  }

  async function addStation(handle: DatabaseHandle, name: string) {
    const now = new Date().toISOString();
    await handle.db.insertInto('stations').values({ name, created_at: now, updated_at: now }).execute();
  }

  after(async () => {
    for (const handle of handles) await handle.close();
    for (const database of databases) await database.drop();
  });

  it('should hand out a migrated database', async () => {
    const { handle } = await newDatabase();
    const tables = (await handle.db.introspection.getTables()).map((table) => table.name);
    assert.ok(tables.includes('stations'), `tables: ${tables.join(', ')}`);
    assert.ok(tables.includes('experiments'), `tables: ${tables.join(', ')}`);

    await addStation(handle, '8-ID-I');
    const stations = await handle.db.selectFrom('stations').select(['name', 'description']).execute();
    assert.deepEqual(stations, [{ name: '8-ID-I', description: null }]);
  });

  it('should keep two databases apart', async () => {
    const first = await newDatabase();
    const second = await newDatabase();
    assert.notEqual(first.database.url, second.database.url);

    await addStation(first.handle, '2-BM');
    const inSecond = await second.handle.db.selectFrom('stations').select('name').execute();
    assert.deepEqual(inSecond, []);
    const inFirst = await first.handle.db.selectFrom('stations').select('name').execute();
    assert.deepEqual(inFirst, [{ name: '2-BM' }]);
  });

  it('should hand out an empty database when asked not to migrate', async () => {
    const { handle } = await newDatabase({ migrated: false });
    assert.deepEqual(await handle.db.introspection.getTables(), []);
  });

  it('should delete the database on drop', async () => {
    const database = await createTestDatabase(backend);
    const handle = openDatabase({ url: database.url });
    await addStation(handle, '1-ID');
    await handle.close();

    await database.drop();
    await database.drop(); // twice is harmless: cleanup code may run after a test already dropped it

    assert.equal(await databaseExists(backend, database.url), false);
  });
});

async function databaseExists(backend: Backend, url: string): Promise<boolean> {
  if (backend === 'sqlite') return existsSync(url.slice('sqlite:'.length));
  const client = new pg.Client({ connectionString: process.env.DM_TEST_POSTGRES_URL });
  await client.connect();
  try {
    const name = new URL(url).pathname.slice(1);
    const result = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return result.rowCount !== 0;
  } finally {
    await client.end();
  }
}
