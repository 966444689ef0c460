/**
 * Live events through a real listening server (SSE does not stream through inject): what a portal or a
 * script following `GET /api/v1/events` sees, on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../src/db/connection.ts';
import { publishEvent } from '../src/events/publish.ts';
import { insertEvent, lastEventId, readEventsAfter } from '../src/events/store.ts';
import { anyEvent, openEventStream } from './support/event-stream.ts';
import { lockWaits } from './support/lock-waits.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { until } from './support/wait.ts';

describeBackends('live events', (backend) => {
  let t: TestApp;
  let url: string;
  let alice: string;
  let bob: string;
  let experimentA: number;
  let experimentB: number;
  let bobId: number;

  before(async () => {
    t = await createTestApp(backend, {}, { events: { heartbeatMs: 100 } });
    url = await t.app.http.listen({ host: '127.0.0.1', port: 0 });
    alice = await t.user('alice');
    bob = await t.user('bob');
    await t.station('8-ID-I');
    experimentA = (await t.experiment('exp-a', '8-ID-I', { users: ['alice'] })).id;
    experimentB = (await t.experiment('exp-b', '8-ID-I', { users: ['bob'] })).id;
    bobId = (await t.call('GET', '/api/v1/users/bob')).body.id;
  });
  after(() => t.close());

  const publish = (event: Partial<Parameters<typeof anyEvent>[0]> & { subjectId: string }) =>
    t.app.context.events.publish(t.app.context.db, anyEvent({ type: 'job.status', payload: {}, ...event }));

  it('should stream events live and in order, each with its id, type and data', async () => {
    const stream = await openEventStream(url, t.adminToken);
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
    const ids = [];
    for (const status of ['pending', 'running', 'done'])
      ids.push(await publish({ experimentId: experimentA, subjectId: 'job-1', payload: { status } }));
    for (const [index, status] of ['pending', 'running', 'done'].entries()) {
      const event = await stream.next();
      assert.equal(event.id, ids[index]);
      assert.equal(event.type, 'job.status');
      assert.deepEqual(
        { ...event.data, createdAt: undefined },
        {
          id: ids[index],
          type: 'job.status',
          experimentName: 'exp-a',
          username: null,
          subjectId: 'job-1',
          createdAt: undefined,
          payload: { status },
        },
      );
    }
    stream.close();
  });

  it('should send heartbeat comments while nothing happens', async () => {
    const stream = await openEventStream(url, t.adminToken);
    const deadline = Date.now() + 20_000;
    while (!stream.text().includes(': heartbeat') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    stream.close();
    assert.match(stream.text(), /: heartbeat\n\n/);
  });

  it('should replay exactly what was missed after a disconnect, from Last-Event-ID or ?after', async () => {
    const first = await openEventStream(url, t.adminToken, { query: 'subject=job-2' });
    const seen = await publish({ experimentId: experimentA, subjectId: 'job-2', payload: { n: 1 } });
    assert.equal((await first.next()).id, seen);
    first.close();
    await first.ended;

    const missed = [];
    for (const n of [2, 3, 4])
      missed.push(await publish({ experimentId: experimentA, subjectId: 'job-2', payload: { n } }));
    await publish({ experimentId: experimentA, subjectId: 'another-job', payload: {} });

    const resumed = await openEventStream(url, t.adminToken, {
      query: 'subject=job-2',
      lastEventId: String(seen),
    });
    for (const id of missed) assert.equal((await resumed.next()).id, id);
    const live = await publish({ experimentId: experimentA, subjectId: 'job-2', payload: { n: 5 } });
    const next = await resumed.next();
    assert.equal(next.id, live, 'after the replay the stream follows live, without repeats or gaps');
    assert.deepEqual(next.data.payload, { n: 5 });
    resumed.close();

    const byQuery = await openEventStream(url, t.adminToken, { query: `subject=job-2&after=${missed[1]}` });
    assert.deepEqual([(await byQuery.next()).id, (await byQuery.next()).id], [missed[2], live]);
    byQuery.close();
  });

  it('should show an outsider none of the events of an experiment they may not read, while a member sees them', async () => {
    const forAlice = await openEventStream(url, alice);
    const forBob = await openEventStream(url, bob);
    const ofA = await publish({ experimentId: experimentA, subjectId: 'a-1' });
    const adminOnly = await publish({ subjectId: 'system-1' });
    const bobsOwn = await publish({ userId: bobId, subjectId: 'bobs-job' });
    const ofB = await publish({ experimentId: experimentB, subjectId: 'b-1' });
    const markerA = await publish({ experimentId: experimentA, subjectId: 'a-marker' });

    // Events arrive in id order, so reaching the last one proves the others were withheld, not late.
    assert.deepEqual([(await forAlice.next()).id, (await forAlice.next()).id], [ofA, markerA]);
    assert.deepEqual([(await forBob.next()).id, (await forBob.next()).id], [bobsOwn, ofB]);
    forAlice.close();
    forBob.close();

    const replayedForBob = await openEventStream(url, bob, { lastEventId: String(ofA - 1) });
    assert.deepEqual(
      [(await replayedForBob.next()).id, (await replayedForBob.next()).id],
      [bobsOwn, ofB],
      'the replay hides the same events',
    );
    replayedForBob.close();
    assert.ok(adminOnly);

    const refused = await openEventStream(url, bob, { query: 'experiment=exp-a' });
    assert.equal(refused.status, 404, 'an experiment bob may not read does not exist for him');
    assert.equal(refused.error.error.code, 'experiment_not_found');
  });

  it('should show a new member the experiment’s events, and stop showing them to a removed one', async () => {
    const forBob = await openEventStream(url, bob, { query: 'subject=membership' });
    assert.equal(
      (await t.call('POST', '/api/v1/experiments/exp-a/users', { body: { username: 'bob', role: 'user' } }))
        .status,
      200,
    );
    // Bob's stream reloads what he may read within seconds; publish until an event of exp-a reaches him.
    let received: number | undefined;
    const deadline = Date.now() + 30_000;
    const published: number[] = [];
    while (received === undefined && Date.now() < deadline) {
      published.push(await publish({ experimentId: experimentA, subjectId: 'membership' }));
      received = await forBob.next(500).then(
        (event) => event.id,
        () => undefined,
      );
    }
    assert.ok(received !== undefined && published.includes(received), 'bob sees exp-a once a member');

    assert.equal((await t.call('DELETE', '/api/v1/experiments/exp-a/users/bob')).status, 200);
    // The stream reloads what bob may read when that is older than 2 s: publish an event of exp-a, then one
    // of exp-b, until the one of exp-b reaches him first. Any pair published 2.5 s after the removal must.
    const removedAt = performance.now();
    for (;;) {
      const late = performance.now() - removedAt >= 2_500;
      const hidden = await publish({ experimentId: experimentA, subjectId: 'membership' });
      const visible = await publish({ experimentId: experimentB, subjectId: 'membership' });
      let event = await forBob.next();
      while (event.id < hidden) event = await forBob.next();
      if (event.id === visible) break;
      if (late) assert.equal(event.id, visible, 'removed, bob no longer sees exp-a');
      assert.equal((await forBob.next()).id, visible);
    }
    forBob.close();
  });

  it('should refuse bad filters and resume points with a 400 naming the field, and a missing token with a 401', async () => {
    const cases: [string, string | undefined, string][] = [
      ['types=job.status,bogus.type', undefined, 'types'],
      ['after=-1', undefined, 'after'],
      ['after=abc', undefined, 'after'],
      ['subjects=1', undefined, 'subjects'],
      ['', 'not-a-number', 'Last-Event-ID'],
    ];
    for (const [query, lastEventId, field] of cases) {
      const stream = await openEventStream(url, t.adminToken, { query, ...(lastEventId && { lastEventId }) });
      assert.equal(stream.status, 400, `${query} ${lastEventId ?? ''}`);
      assert.equal(stream.error.error.code, 'validation_failed');
      assert.match(stream.error.error.message, new RegExp(field));
    }
    assert.equal((await openEventStream(url, null)).status, 401);
    const missing = await openEventStream(url, t.adminToken, { query: 'experiment=no-such' });
    assert.equal(missing.status, 404);
  });

  // SQLite has one writer at a time by design; and its driver is synchronous, so a second connection in this
  // process would block the very event loop that has to commit the first transaction.
  const oneWriter = backend === 'sqlite' ? 'SQLite commits one writer at a time by itself' : false;
  it('should commit event ids in order: a later event waits for an earlier one still uncommitted', {
    skip: oneWriter,
  }, async () => {
    const { db } = t.app.context;
    const order: string[] = [];
    let releaseFirst = () => {};
    let firstWritten = () => {};
    const written = new Promise<void>((resolve) => {
      firstWritten = resolve;
    });
    const first = db.transaction().execute(async (trx) => {
      const id = await publishEvent(trx, anyEvent({ type: 'job.status', subjectId: 'slow' }));
      firstWritten();
      await new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      order.push('first committed');
      return id;
    });
    await written;
    // A second process (its own connection) publishing now must not commit a larger id before `first`.
    const other = openDatabase({ url: t.app.context.settings.databaseUrl });
    try {
      const second = publishEvent(other.db, anyEvent({ type: 'job.status', subjectId: 'fast' })).then(
        (id) => {
          order.push('second committed');
          return id;
        },
      );
      // The proof that it waits: its session is blocked on the lock that `first` holds until it commits.
      await until(async () => (await lockWaits(db)) > 0, { message: 'the second publisher waits' });
      releaseFirst();
      const [firstId, secondId] = await Promise.all([first, second]);
      assert.ok(firstId < secondId);
      assert.deepEqual(order, ['first committed', 'second committed']);
    } finally {
      await other.close();
    }
  });

  it('should append a batch of events in one statement, in order, and stream them like any other', async () => {
    const { db } = t.app.context;
    const before = await lastEventId(db);
    const stream = await openEventStream(url, t.adminToken, {
      query: `after=${before}&types=file.cataloged`,
    });
    try {
      const subjects = ['batch-1', 'batch-2', 'batch-3', 'batch-4', 'batch-5'];
      await db.transaction().execute((trx) =>
        t.app.context.events.publishAll(
          trx,
          subjects.map((subjectId) =>
            anyEvent({ type: 'file.cataloged', experimentId: experimentA, subjectId }),
          ),
        ),
      );
      const events = await readEventsAfter(db, before, 100);
      assert.deepEqual(
        events.map((event) => event.subject_id),
        subjects,
      );
      const ids = events.map((event) => Number(event.id));
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        'ids in the order given',
      );
      const streamed = [];
      for (const _ of subjects) streamed.push((await stream.next()).data.subjectId);
      assert.deepEqual(streamed, subjects);
    } finally {
      stream.close();
    }
  });

  it('should accept several types, as a list or a repeated parameter', async () => {
    const stream = await openEventStream(url, t.adminToken, {
      query: 'types=daq.status&types=upload.status,daq.progress',
    });
    await publish({ subjectId: 'x' });
    const wanted = await t.app.context.events.publish(
      t.app.context.db,
      anyEvent({ type: 'daq.progress', subjectId: 7 }),
    );
    const event = await stream.next();
    assert.deepEqual([event.id, event.type, event.data.subjectId], [wanted, 'daq.progress', '7']);
    stream.close();
  });
});

describeBackends('live events: ending and retention', (backend) => {
  it('should end open streams when the app closes, and close promptly', async () => {
    const t = await createTestApp(backend);
    const url = await t.app.http.listen({ host: '127.0.0.1', port: 0 });
    const streams = await Promise.all([
      openEventStream(url, t.adminToken),
      openEventStream(url, t.adminToken),
    ]);
    await t.close();
    await Promise.all(streams.map((stream) => stream.ended));
  });

  it('should close promptly even when a client has stopped reading its stream', async () => {
    const t = await createTestApp(backend);
    const url = await t.app.http.listen({ host: '127.0.0.1', port: 0 });
    const { request } = await import('node:http');
    const stalled = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      request(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${t.adminToken}` } }, resolve)
        .on('error', reject)
        .end();
    });
    stalled.pause();
    stalled.on('error', () => {});
    const big = 'x'.repeat(20_000);
    for (let index = 0; index < 500; index++)
      await t.app.context.events.publish(
        t.app.context.db,
        anyEvent({ type: 'job.status', subjectId: index, payload: { big } }),
      );
    // Until the hub has read them all, the server keeps writing into the full socket.
    const { lastEventId } = await import('../src/events/store.ts');
    assert.ok((await lastEventId(t.app.context.db)) >= 500);
    // Without the cut-off, close() would wait for the stalled stream (a minute, until the stall limit).
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('app.close() hung on a stalled stream')), 30_000);
    });
    await Promise.race([t.close(), hung]).finally(() => clearTimeout(timer));
    stalled.destroy();
  });

  it('should delete events older than DM_EVENT_RETENTION_DAYS, in batches, and keep the rest', async () => {
    const t = await createTestApp(backend, { DM_EVENT_RETENTION_DAYS: '3' });
    try {
      const { db } = t.app.context;
      const old = new Date(Date.now() - 4 * 86_400_000).toISOString();
      const recent = new Date(Date.now() - 2 * 86_400_000).toISOString();
      const oldRows = Array.from({ length: 2_500 }, (_, index) => ({
        type: 'daq.progress',
        subject_id: String(index),
        payload: '{}',
        created_at: old,
      }));
      for (let start = 0; start < oldRows.length; start += 500)
        await db
          .insertInto('events')
          .values(oldRows.slice(start, start + 500))
          .execute();
      const kept = await insertEvent(
        db,
        anyEvent({ type: 'daq.progress', subjectId: 'recent', createdAt: recent }),
      );
      assert.equal(await t.app.eventRetention.runNow(), 2_500);
      const rows = await db.selectFrom('events').select('id').execute();
      assert.deepEqual(
        rows.map((row) => row.id),
        [kept],
      );
    } finally {
      await t.close();
    }
  });
});

describe('DM_EVENT_RETENTION_DAYS', () => {
  it('should be refused unless a whole number of days from 1', async () => {
    const { loadSettings, SettingsError } = await import('../src/settings/settings.ts');
    for (const bad of ['0', '1.5', 'week']) {
      assert.throws(
        () => loadSettings({ env: { DM_EVENT_RETENTION_DAYS: bad } }),
        (error: unknown) => {
          assert.ok(error instanceof SettingsError);
          assert.match(error.message, /DM_EVENT_RETENTION_DAYS/);
          return true;
        },
      );
    }
    assert.equal(loadSettings({ env: {} }).eventRetentionDays, 7);
  });
});
