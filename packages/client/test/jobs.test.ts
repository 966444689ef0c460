/**
 * The jobs and workflows resources against a fake server that answers as the real one would: the requests
 * they send, and how `wait` and `followLogs` walk through a job's life.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type FetchFunction,
  type Job,
  type JobLog,
  JobWaitTimeoutError,
  PhotonClient,
} from '../src/index.ts';

interface Seen {
  method: string;
  url: string;
  body: unknown;
}

function fakeServer(respond: (request: Seen) => unknown): { client: PhotonClient; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetch: FetchFunction = async (input, init) => {
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const request = { method: init?.method ?? 'GET', url: String(input), body };
    seen.push(request);
    const answer = respond(request);
    return answer === undefined
      ? new Response(null, { status: 204 })
      : new Response(JSON.stringify(answer), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
  };
  return { client: new PhotonClient({ server: 'http://dm', token: 't', fetch }), seen };
}

const job = (fields: Partial<Job>): Job =>
  ({ id: 7, status: 'pending', stage: null, stages: {}, ...fields }) as Job;

describe('client.workflows and client.jobs requests', () => {
  it('should send the routes and bodies of docs/api.md', async () => {
    const { client, seen } = fakeServer(() => ({}));
    await client.workflows.upsert({ format: 'python', text: "{'name': 'w'}" });
    await client.workflows.validate({ definition: { name: 'w' } });
    await client.workflows.show('s25idcuser', 'a b', 2);
    await client.workflows.delete('s25idcuser', 'w');
    await client.jobs.start({ workflow: 'w', owner: 's25idcuser', arguments: { mode: 'fast' } });
    await client.jobs.startEachFile({ workflow: 'w', experiment: 'e1', where: ['a=1', 'b>2'] });
    await client.jobs.list({ status: 'failed', limit: 5 });
    await client.jobs.resubmit(7, '03-ECHO');
    await client.jobs.resubmit(8);
    await client.jobs.logs(7, { stage: '01-START', cursor: 'c1' });
    assert.deepEqual(
      seen.map((request) => `${request.method} ${request.url} ${JSON.stringify(request.body) ?? ''}`),
      [
        `POST http://dm/api/v1/workflows {"format":"python","text":"{'name': 'w'}"}`,
        'POST http://dm/api/v1/workflows/validate {"definition":{"name":"w"}}',
        'GET http://dm/api/v1/workflows/s25idcuser/a%20b?revision=2 ',
        'DELETE http://dm/api/v1/workflows/s25idcuser/w ',
        'POST http://dm/api/v1/jobs {"workflow":"w","owner":"s25idcuser","arguments":{"mode":"fast"}}',
        'POST http://dm/api/v1/jobs/each-file {"workflow":"w","experiment":"e1","where":["a=1","b>2"]}',
        'GET http://dm/api/v1/jobs?status=failed&limit=5 ',
        'POST http://dm/api/v1/jobs/7/resubmit {"fromStage":"03-ECHO"}',
        'POST http://dm/api/v1/jobs/8/resubmit {}',
        'GET http://dm/api/v1/jobs/7/logs?stage=01-START&cursor=c1 ',
      ],
    );
  });
});

describe('client.jobs.wait', () => {
  it('should look until the job ends and report each change once', async () => {
    const states = [
      job({ status: 'pending' }),
      job({ status: 'running', stage: '01-A' }),
      job({ status: 'running', stage: '01-A' }),
      job({ status: 'running', stage: '02-B' }),
      job({ status: 'failed', stage: '02-B', errorMessage: 'exit 1' }),
    ];
    let look = 0;
    const { client } = fakeServer(() => states[Math.min(look++, states.length - 1)]);
    const changes: string[] = [];
    const ended = await client.jobs.wait(7, {
      intervalMs: 1,
      onChange: (j) => changes.push(`${j.status} ${j.stage}`),
    });
    assert.equal(ended.status, 'failed');
    assert.equal(look, 5);
    assert.deepEqual(changes, ['pending null', 'running 01-A', 'running 02-B', 'failed 02-B']);
  });

  it('should give up after the timeout with the last state seen', async () => {
    const { client } = fakeServer(() => job({ status: 'running', stage: '01-A' }));
    await assert.rejects(client.jobs.wait(7, { timeoutMs: 50, intervalMs: 10 }), (error: unknown) => {
      assert.ok(error instanceof JobWaitTimeoutError);
      assert.equal(error.job.stage, '01-A');
      return true;
    });
  });
});

describe('client.jobs.followLogs', () => {
  it('should pass each cursor back and stop once the log is complete', async () => {
    const pages: JobLog[] = [
      { entries: [{ stage: 'A', childProcessNumber: 1, text: 'one\n' }], cursor: 'c1', complete: false },
      { entries: [], cursor: 'c1', complete: false },
      { entries: [{ stage: 'B', childProcessNumber: 1, text: 'two\n' }], cursor: 'c2', complete: true },
    ];
    let call = 0;
    const { client, seen } = fakeServer(() => pages[call++]);
    const texts: string[] = [];
    for await (const entry of client.jobs.followLogs(7, { stage: 'A', intervalMs: 1 }))
      texts.push(entry.text);
    assert.deepEqual(texts, ['one\n', 'two\n']);
    assert.deepEqual(
      seen.map((request) => request.url),
      [
        'http://dm/api/v1/jobs/7/logs?stage=A',
        'http://dm/api/v1/jobs/7/logs?stage=A&cursor=c1',
        'http://dm/api/v1/jobs/7/logs?stage=A&cursor=c1',
      ],
    );
  });
});
