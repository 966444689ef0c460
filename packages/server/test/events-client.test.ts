/**
 * A script following events with the typed client (`client.events.stream`) while the server restarts:
 * it reconnects with Last-Event-ID and receives every event once, including those published while the
 * server was down.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ApiError, type EventType, PhotonClient } from '@photon-dm/client';
import { openDatabase } from '../src/db/connection.ts';
import { publishEvent } from '../src/events/publish.ts';
import { anyEvent } from './support/event-stream.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

describeBackends('following events with the client', (backend) => {
  let t: TestApp;
  let url: string;

  before(async () => {
    t = await createTestApp(backend);
    url = await t.app.http.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => t.close());

  it('should follow across a server restart without losing or repeating an event', async () => {
    const client = new PhotonClient({ server: url, token: t.adminToken });
    const controller = new AbortController();
    const events = client.events.stream({ after: 0, signal: controller.signal, reconnectMs: 100 });
    const publish = (subjectId: string) =>
      t.app.context.events.publish(t.app.context.db, anyEvent({ type: 'job.status', subjectId }));
    const next = async () => {
      const result = await events.next();
      assert.ok(!result.done, 'the stream goes on');
      return result.value;
    };

    const first = [await publish('1'), await publish('2')];
    assert.deepEqual([(await next()).id, (await next()).id], first);

    const { databaseUrl } = t.app.context.settings;
    const whileDown: number[] = [];
    await t.restart(async () => {
      const database = openDatabase({ url: databaseUrl });
      try {
        for (const subjectId of ['3', '4'])
          whileDown.push(await publishEvent(database.db, anyEvent({ type: 'job.status', subjectId })));
      } finally {
        await database.close();
      }
    });
    await t.app.http.listen({ host: '127.0.0.1', port: Number(new URL(url).port) });

    const replayed = [await next(), await next()];
    assert.deepEqual(
      replayed.map((event) => [event.id, event.data.subjectId]),
      whileDown.map((id, index) => [id, String(index + 3)]),
    );
    const live = await publish('5');
    assert.equal((await next()).id, live);

    controller.abort();
    assert.equal((await events.next()).done, true, 'aborting ends the stream');
  });

  it('should say when it follows, so that a change made from then on comes as an event', {
    timeout: 60_000,
  }, async () => {
    // A view loads its state and opens the stream together; it reads the state again on `onOpen`, which
    // holds only if every event published after `onOpen` is sent (the first connection replays nothing).
    const client = new PhotonClient({ server: url, token: t.adminToken });
    const controller = new AbortController();
    let opened = 0;
    let openedNow: () => void = () => undefined;
    const open = new Promise<void>((resolve) => {
      openedNow = resolve;
    });
    const events = client.events.stream({
      types: ['daq.status'],
      signal: controller.signal,
      onOpen: () => {
        opened += 1;
        openedNow();
      },
    });
    const first = events.next(); // connects
    await open;
    const id = await t.app.context.events.publish(
      t.app.context.db,
      anyEvent({ type: 'daq.status', subjectId: '7' }),
    );
    const result = await first;
    assert.ok(!result.done);
    assert.deepEqual([result.value.id, result.value.data.subjectId], [id, '7']);
    assert.equal(opened, 1, 'once per connection');
    controller.abort();
    assert.equal((await events.next()).done, true);
  });

  it('should throw the server’s refusal of a bad filter instead of retrying', async () => {
    const client = new PhotonClient({ server: url, token: t.adminToken });
    const events = client.events.stream({ types: ['job.nonsense' as EventType] });
    await assert.rejects(events.next(), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 400);
      assert.equal(error.code, 'validation_failed');
      return true;
    });
  });
});
