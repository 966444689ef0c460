/**
 * Several processes on one database: an event published by one `dm serve` process is streamed by another.
 * On PostgreSQL the listening process never polls here (its poll interval is longer than the test), so only
 * NOTIFY can bring the event; on SQLite, which has no notifications, polling does.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { loadSettings } from '../../src/settings/settings.ts';
import { openEventStream } from '../support/event-stream.ts';
import { api, type ServerProcess, startServerProcess } from '../support/server-process.ts';
import { type TempDir, tempDir } from '../support/temp-dir.ts';
import { adminPassword } from '../support/test-app.ts';
import { createTestDatabase, describeBackends, type TestDatabase } from '../support/test-database.ts';

describeBackends('live events across processes', (backend) => {
  let root: TempDir;
  let database: TestDatabase;
  let publisher: ServerProcess;
  let follower: App;
  let followerUrl: string;

  before(async () => {
    root = await tempDir('dm-events-processes-');
    database = await createTestDatabase(backend);
    const storage = join(root.path, 'storage');
    publisher = await startServerProcess(
      ['--data-dir', join(root.path, 'a'), '--storage-root', storage, '--database-url', database.url],
      { DM_ADMIN_PASSWORD: adminPassword },
    );
    const settings = loadSettings({
      flags: {
        dataDir: join(root.path, 'b'),
        storageRoot: storage,
        databaseUrl: database.url,
        logLevel: 'silent',
      },
      env: { DM_ADMIN_PASSWORD: adminPassword },
    });
    follower = await createApp({
      settings,
      events: { pollMs: backend === 'postgres' ? 3_600_000 : 250 },
    });
    followerUrl = await follower.http.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await follower?.close();
    await publisher?.kill();
    await database?.drop();
    await root?.remove();
  });

  it('should stream, in one process, the events another process publishes', async () => {
    const login = await api(publisher.url, 'POST', '/api/v1/auth/login', null, {
      username: 'admin',
      password: adminPassword,
    });
    const token = login.body.token as string;
    const stream = await openEventStream(followerUrl, token, { query: 'types=upload.status' });

    assert.equal(
      (await api(publisher.url, 'POST', '/api/v1/stations', token, { name: '8-ID-I' })).status,
      201,
    );
    const experiment = { name: 'shared', station: '8-ID-I' };
    assert.equal((await api(publisher.url, 'POST', '/api/v1/experiments', token, experiment)).status, 201);
    // Not root.path itself: it holds the servers' data directories, which no upload may read.
    const detector = join(root.path, 'detector');
    mkdirSync(detector, { recursive: true });
    const upload = await api(publisher.url, 'POST', '/api/v1/uploads', token, {
      experiment: 'shared',
      dataDirectory: detector,
      destDirectory: 'copy',
    });
    assert.equal(upload.status, 201, JSON.stringify(upload.body));

    const event = await stream.next(30_000);
    assert.deepEqual(
      [event.type, event.data.subjectId, event.data.payload.status, event.data.experimentName],
      ['upload.status', String(upload.body.id), 'pending', 'shared'],
    );
    stream.close();
    assert.equal(await publisher.stop(), 0);
  });
});
