/**
 * The database's disk fills up while an upload runs: people get 507 storage_full saying it is the
 * database's disk (never a 500), the upload says why it waits, and once space returns it finishes with every
 * file cataloged once. SQLite: the database file on a real tiny tmpfs. PostgreSQL: the test database in a
 * tablespace on a real tiny tmpfs (SQLSTATE 53100). Needs root to mount (skipped with the reason otherwise).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { type App, createApp } from '../src/app.ts';
import { loadSettings } from '../src/settings/settings.ts';
import { adminPassword } from './support/test-app.ts';
import { type Backend, createTestDatabase, describeBackends } from './support/test-database.ts';
import { mountTinyTmpfs, resizeTmpfs, unmountTmpfs } from './support/tiny-tmpfs.ts';
import { readUntil, until } from './support/wait.ts';

const fileCount = 1500;

/** Bytes in use on the file system of `directory`. */
function usedBytes(directory: string): number {
  const stats = statfsSync(directory);
  return (stats.blocks - stats.bfree) * stats.bsize;
}

interface FullDatabase {
  url: string;
  /** The directory whose tmpfs holds the database's files. */
  directory: string;
  drop(): Promise<void>;
}

/** SQLite: a database file on the tmpfs. PostgreSQL: a test database moved into a tablespace on it. */
async function databaseOnTmpfs(backend: Backend, directory: string): Promise<FullDatabase> {
  if (backend === 'sqlite')
    return { url: `sqlite:${join(directory, 'photon-dm.sqlite')}`, directory, drop: async () => {} };
  const database = await createTestDatabase('postgres');
  const name = new URL(database.url).pathname.slice(1);
  // The cluster runs as the `postgres` account (scripts/postgres-cluster.ts): the tablespace must be its.
  execFileSync('chown', ['postgres:postgres', directory]);
  execFileSync('chmod', ['711', join(directory, '..')]);
  const tablespace = `tiny_${name}`;
  const client = new pg.Client({ connectionString: process.env.DM_TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`CREATE TABLESPACE "${tablespace}" LOCATION '${directory}'`);
    await client.query(`ALTER DATABASE "${name}" SET TABLESPACE "${tablespace}"`);
  } finally {
    await client.end();
  }
  return {
    url: database.url,
    directory,
    async drop() {
      await database.drop();
      const admin = new pg.Client({ connectionString: process.env.DM_TEST_POSTGRES_URL });
      await admin.connect();
      await admin.query(`DROP TABLESPACE IF EXISTS "${tablespace}"`).finally(() => admin.end());
    },
  };
}

describeBackends('a full database disk', (backend) => {
  let root: string;
  let tiny: string;
  let skipReason: string | undefined;
  let database: FullDatabase;
  let app: App;
  let token: string;

  const call = async (method: string, url: string, body?: unknown) => {
    const response = await app.http.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'dm-db-full-'));
    tiny = join(root, 'database');
    mkdirSync(tiny);
    skipReason = mountTinyTmpfs(tiny, '64m');
    if (skipReason) return;
    database = await databaseOnTmpfs(backend, tiny);
    const settings = loadSettings({
      flags: { dataDir: join(root, 'data'), databaseUrl: database.url, logLevel: 'silent' },
      env: { DM_ADMIN_PASSWORD: adminPassword },
    });
    app = await createApp({ settings, partialSweep: { firstPassDelayMs: 24 * 3_600_000 } });
    const login = await app.http.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'admin', password: adminPassword }),
    });
    token = JSON.parse(login.body).token;
    assert.equal((await call('POST', '/api/v1/stations', { name: '8-ID-I' })).status, 201);
    assert.equal(
      (await call('POST', '/api/v1/experiments', { name: 'full-db', station: '8-ID-I' })).status,
      201,
    );
  });
  after(async () => {
    if (!skipReason) {
      await app?.close();
      await database?.drop();
      unmountTmpfs(tiny);
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('answers 507 naming the database, says why the upload waits, and finishes once space returns', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const source = join(root, 'scan');
    mkdirSync(source);
    for (let i = 0; i < fileCount; i++)
      writeFileSync(join(source, `frame_${String(i).padStart(5, '0')}_${'x'.repeat(100)}.raw`), `frame ${i}`);
    // Room for the start of the upload, not for its records.
    resizeTmpfs(tiny, `${Math.ceil((usedBytes(tiny) + 256 * 1024) / 4096) * 4}k`);

    const started = await call('POST', '/api/v1/uploads', { experiment: 'full-db', dataDirectory: source });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const uploadUrl = `/api/v1/uploads/${started.body.id}`;

    // A write that needs new space is refused as storage-full, naming the database's disk.
    let refused = { status: 0, body: undefined as { error: { code: string; message: string } } | undefined };
    let probe = 0;
    await until(
      async () => {
        refused = await call('POST', '/api/v1/experiments', {
          name: `probe-${probe++}`,
          station: '8-ID-I',
          description: 'p'.repeat(4000),
        });
        assert.notEqual(refused.status, 500, JSON.stringify(refused.body));
        return refused.status === 507;
      },
      { timeout: 60_000, interval: 100 },
    ).catch((error) => {
      // A 500 fails here; a disk that never filled is for the assertions below to say.
      if (error instanceof assert.AssertionError) throw error;
    });
    assert.equal(refused.status, 507, 'the database disk filled up');
    assert.equal(refused.body?.error.code, 'storage_full');
    assert.match(refused.body?.error.message ?? '', /database's disk is full/);

    const readUpload = async () => (await call('GET', uploadUrl)).body;
    let upload = await readUntil(
      readUpload,
      (upload) => /database's disk is full/.test(upload.lastError ?? ''),
      {
        timeout: 60_000,
        interval: 100,
      },
    );
    assert.match(upload.lastError ?? '', /database's disk is full/, 'the upload says why it waits');
    assert.equal(upload.status, 'running');
    assert.equal(upload.nProcessingErrors, 0, 'no file counted as failed for want of database space');

    resizeTmpfs(tiny, '64m');
    upload = await readUntil(readUpload, (upload) => upload.status !== 'running', {
      timeout: 120_000,
      interval: 100,
    });
    assert.equal(upload.status, 'done', JSON.stringify(upload));
    assert.equal(upload.nProcessingErrors, 0);
    const files = await app.context.db
      .selectFrom('files')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(files.n), fileCount, 'every file cataloged once');
    const created = await call('POST', '/api/v1/experiments', { name: 'after-space', station: '8-ID-I' });
    assert.equal(created.status, 201, 'writes work again');
  });

  it('keeps a DAQ running with a clear lastError, and takes every file once space returns', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const detector = join(root, 'detector');
    mkdirSync(detector);
    const started = await call('POST', '/api/v1/daqs', {
      experiment: 'full-db',
      dataDirectory: detector,
      destDirectory: 'daq',
      settleSeconds: 0,
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const daqUrl = `/api/v1/daqs/${started.body.id}`;
    // Running before the disk fills: claiming it is itself a write.
    await until(async () => (await call('GET', daqUrl)).body.status === 'running', {
      timeout: 30_000,
      interval: 50,
    }).catch(() => undefined); // as before: what follows says what went wrong
    resizeTmpfs(tiny, `${Math.ceil((usedBytes(tiny) + 256 * 1024) / 4096) * 4}k`);
    let written = 0;
    const writeFrame = () => {
      writeFileSync(
        join(detector, `frame_${String(written).padStart(5, '0')}_${'y'.repeat(100)}.raw`),
        `frame ${written}`,
      );
      written++;
    };
    for (let i = 0; i < fileCount; i++) writeFrame();

    // SQLite may go on writing into its write-ahead log's reused space for a while: more frames keep the
    // catalog growing until the disk is really full, however the machine's load spaced the checkpoints.
    const readDaq = async () => (await call('GET', daqUrl)).body;
    // New frames as soon as the DAQ has taken the last ones, so the catalog grows as fast as this machine
    // takes files, however loaded it is (a fixed pace filled the disk too late on a busy machine).
    let daq = await readUntil(
      async () => {
        const read = await readDaq();
        if (read.nProcessedFiles >= written) for (let more = 0; more < 50; more++) writeFrame();
        return read;
      },
      (daq) => /database's disk is full/.test(daq.lastError ?? ''),
      { timeout: 120_000, interval: 100 },
    );
    assert.match(
      daq.lastError ?? '',
      /database's disk is full/,
      `the DAQ says why it waits: ${JSON.stringify(daq)}`,
    );
    assert.equal(daq.status, 'running', 'a full database disk does not end the DAQ');

    resizeTmpfs(tiny, '64m');
    daq = await readUntil(readDaq, (daq) => daq.nProcessedFiles >= written, {
      timeout: 120_000,
      interval: 100,
    });
    assert.equal(daq.nProcessedFiles, written, 'every file taken once space returned');
    assert.equal(daq.nProcessingErrors, 0, 'no file counted as failed for want of database space');
    assert.equal(daq.status, 'running');
    const files = await app.context.db
      .selectFrom('files')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('path', 'like', 'daq/%')
      .executeTakeFirstOrThrow();
    assert.equal(Number(files.n), written, 'each file cataloged once');
  });
});
