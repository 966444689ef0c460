/**
 * The API a DAQ agent speaks, driven by hand: who may claim, how a file is offered, streamed in parts,
 * verified and taken, what a wrong checksum or a path out of the experiment gets, and what is left behind.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { PhotonClient } from '@photon-dm/client';
import { pino } from 'pino';
import { startDaqAgent } from '../src/daq-agent/agent.ts';
import { sourceRoot } from './support/source-roots.ts';
import type { TempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { until } from './support/wait.ts';

const hex = (algorithm: string, data: string) => createHash(algorithm).update(data).digest('hex');
const owner = 'bl8-daq:4242:cafe';
const mtime = '2026-11-21T10:00:00.000Z';

describeBackends('DAQ agent API', (backend) => {
  let t: TestApp;
  let manager: string;
  let member: string;
  let experiment: { dataDirectory: string; storageDirectory: string };
  let daqId: number;
  let detectors: TempDir;

  before(async () => {
    t = await createTestApp(backend);
    manager = await t.user('mia');
    member = await t.user('umar');
    await t.station('8-ID-I', ['mia']);
    detectors = await sourceRoot(t, '8-ID-I');
    experiment = await t.experiment('agent-exp', '8-ID-I');
    await t.call('POST', '/api/v1/experiments/agent-exp/users', { body: { username: 'umar', role: 'user' } });
    const created = await t.call('POST', '/api/v1/daqs', {
      token: manager,
      body: {
        experiment: 'agent-exp',
        dataDirectory: join(detectors.path, 'only-on-bl8'),
        agent: 'bl8-daq',
        workflow: 'xpcs-corr',
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.mode, 'agent');
    assert.equal(created.body.agentName, 'bl8-daq');
    daqId = created.body.id;
  });
  after(async () => {
    await t.close();
    await detectors.remove();
  });

  const send = (content: string, query: Record<string, string | number>, token = manager) =>
    t.app.http.inject({
      method: 'PUT',
      url: `/api/v1/daqs/${daqId}/files/content?${new URLSearchParams(
        Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]),
      )}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      payload: Buffer.from(content),
    });

  it("is never run by the server's own DAQ runner", async () => {
    // The runner claims pending DAQs oldest first: once it has claimed a server DAQ created after the agent
    // DAQ, it has had its chance at the agent DAQ too.
    await t.experiment('runner-pass', '8-ID-I');
    const later = join(detectors.path, 'runner-pass');
    mkdirSync(later);
    const serverDaq = await t.call('POST', '/api/v1/daqs', {
      body: { experiment: 'runner-pass', dataDirectory: later },
    });
    assert.equal(serverDaq.status, 201, JSON.stringify(serverDaq.body));
    await until(
      async () => (await t.call('GET', `/api/v1/daqs/${serverDaq.body.id}`)).body.status === 'running',
      { message: 'the runner claims the later server DAQ' },
    );
    await t.call('POST', `/api/v1/daqs/${serverDaq.body.id}/stop`);
    assert.equal((await t.call('GET', `/api/v1/daqs/${daqId}`)).body.status, 'pending');
  });

  it('lets only staff of the station claim it, and only under its agent name', async () => {
    const byMember = await t.call('POST', '/api/v1/daqs/claim', {
      token: member,
      body: { agent: 'bl8-daq', owner },
    });
    assert.equal(byMember.status, 403, JSON.stringify(byMember.body));
    const otherName = await t.call('POST', '/api/v1/daqs/claim', {
      token: manager,
      body: { agent: 'bl9-daq', owner },
    });
    assert.deepEqual(otherName.body, { daq: null });
    const claimed = await t.call('POST', '/api/v1/daqs/claim', {
      token: manager,
      body: { agent: 'bl8-daq', owner },
    });
    assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
    assert.equal(claimed.body.daq.id, daqId);
    assert.equal(claimed.body.daq.storagePath, '8-ID-I/agent-exp');
    assert.deepEqual(claimed.body.daq.taken, []);
    const again = await t.call('POST', '/api/v1/daqs/claim', {
      token: manager,
      body: { agent: 'bl8-daq', owner: 'bl8-daq:4343:beef' },
    });
    assert.deepEqual(again.body, { daq: null }, 'a DAQ under a live lease is not claimed twice');
  });

  it('takes a file sent in parts, resuming from the bytes held, once its checksums verify', async () => {
    const content = 'frame 1: 0123456789abcdef';
    const version = { owner, relativePath: 'scan-1/frame_0001.h5', size: content.length, mtime };
    const offer = () =>
      t.call('POST', `/api/v1/daqs/${daqId}/files/offer`, { token: manager, body: version });
    assert.deepEqual((await offer()).body, { action: 'send', held: 0 });
    assert.deepEqual(JSON.parse((await send(content.slice(0, 10), { ...version, offset: 0 })).body), {
      held: 10,
    });
    assert.deepEqual((await offer()).body, { action: 'send', held: 10 }, 'the server says what it holds');
    const wrongOffset = await send(content.slice(8), { ...version, offset: 8 });
    assert.equal(wrongOffset.statusCode, 409);
    assert.equal(JSON.parse(wrongOffset.body).error.details.held, 10);
    const tooMuch = await send(`${content.slice(10)}extra`, { ...version, offset: 10 });
    assert.equal(tooMuch.statusCode, 400, 'more bytes than the file has are refused');
    assert.deepEqual((await offer()).body, { action: 'send', held: 10 }, 'and lose nothing already held');
    await send(content.slice(10), { ...version, offset: 10 });

    const commit = (sha256: string) =>
      t.call('POST', `/api/v1/daqs/${daqId}/files/commit`, {
        token: manager,
        body: { ...version, md5: hex('md5', content), sha256 },
      });
    const corrupted = await commit(hex('sha256', `${content}!`));
    assert.equal(corrupted.status, 422);
    assert.equal(corrupted.body.error.code, 'checksum_mismatch');
    assert.deepEqual((await offer()).body, { action: 'send', held: 0 }, 'a refused file is sent again');
    await send(content, { ...version, offset: 0 });
    const taken = await commit(hex('sha256', content));
    assert.equal(taken.status, 200, JSON.stringify(taken.body));
    assert.equal(taken.body.outcome, 'copied');

    const stored = join(experiment.dataDirectory, 'scan-1', 'frame_0001.h5');
    assert.equal(readFileSync(stored, 'utf8'), content);
    const record = (await t.call('GET', '/api/v1/experiments/agent-exp/file?path=scan-1/frame_0001.h5')).body;
    assert.equal(record.sha256Sum, hex('sha256', content));
    assert.equal(record.originId, daqId);
    assert.equal(record.fileModificationTime, mtime);
    assert.equal(record.storageFilePath, stored);
    assert.deepEqual((await offer()).body, { action: 'skip', held: 0 }, 'a cataloged version is skipped');
    const staging = join(experiment.storageDirectory, 'system', 'daq-staging', String(daqId));
    assert.deepEqual(readdirSync(staging), [], 'nothing left in staging');
    const requests = await t.app.context.db.selectFrom('processing_requests').selectAll().execute();
    assert.deepEqual(
      requests.map((r) => [r.file_path, r.workflow]),
      [['scan-1/frame_0001.h5', 'xpcs-corr']],
    );
  });

  it('never holds more than the file when the same bytes are sent twice at once', async () => {
    const content = 'frame 9: sent twice by an agent that lost track';
    const version = { owner, relativePath: 'twice.h5', size: content.length, mtime };
    const offer = async () =>
      (await t.call('POST', `/api/v1/daqs/${daqId}/files/offer`, { token: manager, body: version })).body;
    await offer();
    // The later request stops the earlier one (its connection is cut: in-process, its promise rejects).
    // Which one wins is a race: the earlier may have written every byte before it was stopped, and the
    // later then finds them held (409). Either way, what is held is a prefix of the file, never more.
    const results = await Promise.allSettled([
      send(content, { ...version, offset: 0 }),
      send(content, { ...version, offset: 0 }),
    ]);
    for (const result of results) {
      if (result.status === 'rejected') continue;
      const { statusCode, body } = result.value;
      assert.ok(statusCode === 200 || statusCode === 409, `${statusCode} ${body}`);
      if (statusCode === 409) assert.equal(JSON.parse(body).error.code, 'staging_mismatch');
    }
    const { held } = await offer();
    assert.ok(held <= content.length, `held ${held} of ${content.length}`);
    if (held < content.length) await send(content.slice(held), { ...version, offset: held });
    const taken = await t.call('POST', `/api/v1/daqs/${daqId}/files/commit`, {
      token: manager,
      body: { ...version, md5: hex('md5', content), sha256: hex('sha256', content) },
    });
    assert.equal(taken.status, 200, JSON.stringify(taken.body));
    assert.equal(readFileSync(join(experiment.dataDirectory, 'twice.h5'), 'utf8'), content);
  });

  it('refuses paths out of the experiment, other owners and users who are not staff', async () => {
    for (const relativePath of ['../escape.h5', '/etc/passwd', 'a//b.h5', 'scan/../../x.h5']) {
      const refused = await t.call('POST', `/api/v1/daqs/${daqId}/files/offer`, {
        token: manager,
        body: { owner, relativePath, size: 1, mtime },
      });
      assert.equal(refused.status, 400, `${relativePath}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error.details.fields[0].field, 'relativePath');
      const sent = await send('x', { owner, relativePath, size: 1, mtime, offset: 0 });
      assert.equal(sent.statusCode, 400, relativePath);
    }
    const version = { relativePath: 'x.h5', size: 1, mtime };
    const stranger = await t.call('POST', `/api/v1/daqs/${daqId}/files/offer`, {
      token: manager,
      body: { ...version, owner: 'bl8-daq:1:dead' },
    });
    assert.equal(stranger.status, 409);
    assert.equal(stranger.body.error.code, 'lease_lost');
    const byMember = await t.call('POST', `/api/v1/daqs/${daqId}/files/offer`, {
      token: member,
      body: { ...version, owner },
    });
    assert.equal(byMember.status, 403);
    assert.equal((await send('x', { ...version, owner, offset: 0 }, member)).statusCode, 403);
    assert.ok(!existsSync(join(experiment.dataDirectory, 'x.h5')));
  });

  it('records the failures an agent reports, and removes staged files when the DAQ stops', async () => {
    const renewed = await t.call('POST', `/api/v1/daqs/${daqId}/renew`, {
      token: manager,
      body: { owner, failures: [{ path: 'gone.h5', error: 'source file vanished' }] },
    });
    assert.deepEqual(renewed.body, { running: true });
    const shown = (await t.call('GET', `/api/v1/daqs/${daqId}`)).body;
    assert.equal(shown.nProcessingErrors, 1);
    assert.equal(shown.lastError, 'gone.h5: source file vanished');

    const version = { owner, relativePath: 'half.h5', size: 100, mtime };
    await t.call('POST', `/api/v1/daqs/${daqId}/files/offer`, { token: manager, body: version });
    await send('x'.repeat(40), { ...version, offset: 0 });
    const staging = join(experiment.storageDirectory, 'system', 'daq-staging', String(daqId));
    assert.ok(readdirSync(staging).length > 0, 'a file half sent is staged');
    assert.equal((await t.call('POST', `/api/v1/daqs/${daqId}/stop`, { token: manager })).status, 200);
    assert.ok(!existsSync(staging), 'the staging files of a stopped DAQ are removed');
    const afterStop = await t.call('POST', `/api/v1/daqs/${daqId}/renew`, {
      token: manager,
      body: { owner, failures: [] },
    });
    assert.deepEqual(afterStop.body, { running: false }, 'the agent learns that the DAQ ended');
  });

  it('has the agent send a file again when its upload arrived corrupted', async () => {
    const detector = { path: join(detectors.path, 'flaky') };
    mkdirSync(detector.path);
    const content = Buffer.from('frame 2: the bytes that must arrive intact');
    writeFileSync(join(detector.path, 'frame_0002.h5'), content);
    const created = await t.call('POST', '/api/v1/daqs', {
      token: manager,
      body: { experiment: 'agent-exp', dataDirectory: detector.path, agent: 'bl8-flaky', settleSeconds: 0 },
    });
    await t.app.http.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.http.server.address() as { port: number };
    // A link that flips a bit of the first body it carries: the server must notice and the agent resend.
    let corrupted = 0;
    const flaky: typeof fetch = (input, init) => {
      if (init?.method !== 'PUT' || corrupted > 0) return fetch(input, init);
      corrupted++;
      const original = init.body as unknown as AsyncIterable<Uint8Array>;
      const flipped = (async function* () {
        let first = true;
        for await (const chunk of original) {
          const copy = Buffer.from(chunk);
          if (first) copy[0] = (copy[0] ?? 0) ^ 0x01;
          first = false;
          yield copy;
        }
      })();
      return fetch(input, { ...init, body: flipped } as unknown as RequestInit);
    };
    const client = new PhotonClient({ server: `http://127.0.0.1:${port}`, token: manager, fetch: flaky });
    const agent = startDaqAgent({
      client,
      name: 'bl8-flaky',
      logger: pino({ level: 'silent' }),
      allowedDirectories: [realpathSync(tmpdir())],
      claimEveryMs: 100,
    });
    try {
      const read = async () => (await t.call('GET', `/api/v1/daqs/${created.body.id}`)).body;
      await until(async () => (await read()).nProcessedFiles >= 1, {
        interval: 100,
        message: 'the agent takes the file',
      }).catch(() => undefined); // the assertions below say what went wrong
      const daq = await read();
      assert.equal(daq.nProcessedFiles, 1, JSON.stringify(daq));
      assert.equal(daq.nProcessingErrors, 0, 'a refused checksum is retried, not reported');
      assert.equal(corrupted, 1);
      assert.ok(readFileSync(join(experiment.dataDirectory, 'frame_0002.h5')).equals(content));
    } finally {
      await agent.stop();
      rmSync(detector.path, { recursive: true, force: true });
    }
  });
});
