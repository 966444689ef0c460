/**
 * What a portal following one experiment sees while staff take data into it: uploads and DAQs report
 * their status changes and counters, and every cataloged file, live on `GET /api/v1/events`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type EventReader, openEventStream, type StreamedEvent } from './support/event-stream.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

describeBackends('live events of uploads and DAQs', (backend) => {
  let t: TestApp;
  let url: string;
  let member: string;
  let source: TempDir;

  before(async () => {
    t = await createTestApp(backend);
    url = await t.app.http.listen({ host: '127.0.0.1', port: 0 });
    member = await t.user('alice');
    await t.station('8-ID-I');
    await t.experiment('xpcs-live', '8-ID-I', { users: ['alice'] });
    source = await tempDir('dm-events-source-');
  });
  after(async () => {
    await t.close();
    await source.remove();
  });

  /** Events until `last` matches (included). */
  async function until(stream: EventReader, last: (event: StreamedEvent) => boolean) {
    const events: StreamedEvent[] = [];
    for (;;) {
      const event = await stream.next(60_000);
      events.push(event);
      if (last(event)) return events;
    }
  }

  it('should report an upload from pending to done, each file it catalogs, and its counters', async () => {
    const stream = await openEventStream(url, member, { query: 'experiment=xpcs-live' });
    const directory = join(source.path, 'run-1');
    mkdirSync(directory);
    for (const name of ['a.h5', 'b.h5', 'c.h5']) writeFileSync(join(directory, name), `data of ${name}`);
    const created = await t.call('POST', '/api/v1/uploads', {
      body: { experiment: 'xpcs-live', dataDirectory: directory },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const subjectId = String(created.body.id);

    const events = await until(stream, (e) => e.type === 'upload.status' && e.data.payload.status === 'done');
    const statuses = events.filter((e) => e.type === 'upload.status').map((e) => e.data.payload.status);
    assert.deepEqual(statuses, ['pending', 'running', 'done']);
    assert.ok(events.every((e) => e.data.experimentName === 'xpcs-live'));
    assert.ok(
      events.filter((e) => e.type.startsWith('upload.')).every((e) => e.data.subjectId === subjectId),
    );
    const files = events.filter((e) => e.type === 'file.cataloged').map((e) => e.data.payload);
    assert.deepEqual(files.map((f) => f.path).sort(), ['a.h5', 'b.h5', 'c.h5']);
    assert.deepEqual(files[0].origin, { type: 'upload', id: created.body.id });
    const done = events.at(-1)?.data.payload;
    assert.ok(done);
    assert.equal(done.nProcessedFiles, 3);
    assert.equal(done.nProcessingErrors, 0);
    assert.equal(done.nBytes, 3 * 'data of a.h5'.length);
    stream.close();
  });

  it('should report a DAQ starting, its files and counters as they arrive, and its stop', async () => {
    const stream = await openEventStream(url, member, { query: 'experiment=xpcs-live' });
    const directory = join(source.path, 'detector');
    mkdirSync(directory);
    const started = await t.call('POST', '/api/v1/daqs', {
      body: { experiment: 'xpcs-live', dataDirectory: directory, settleSeconds: 0 },
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const running = await until(
      stream,
      (e) => e.type === 'daq.status' && e.data.payload.status === 'running',
    );
    assert.deepEqual(
      running.map((e) => [e.type, e.data.payload.status, e.data.subjectId]),
      [
        ['daq.status', 'pending', String(started.body.id)],
        ['daq.status', 'running', String(started.body.id)],
      ],
    );

    writeFileSync(join(directory, 'frame_1.h5'), 'frame one');
    writeFileSync(join(directory, 'frame_2.h5'), 'frame two');
    const progress = await until(
      stream,
      (e) => e.type === 'daq.progress' && e.data.payload.nProcessedFiles === 2,
    );
    assert.deepEqual(
      progress
        .filter((e) => e.type === 'file.cataloged')
        .map((e) => e.data.payload.path)
        .sort(),
      ['frame_1.h5', 'frame_2.h5'],
    );
    assert.equal(progress.at(-1)?.data.payload.nBytes, 2 * 'frame one'.length);

    assert.equal((await t.call('POST', `/api/v1/daqs/${started.body.id}/stop`)).status, 200);
    const stopped = await until(stream, (e) => e.type === 'daq.status');
    assert.deepEqual(
      [stopped.at(-1)?.data.payload.status, stopped.at(-1)?.data.payload.nProcessedFiles],
      ['done', 2],
    );
    stream.close();
  });
});
