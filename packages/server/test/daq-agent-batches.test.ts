/**
 * The batch endpoints a DAQ agent uses for small files (`files/offers`, `files/commits`), driven by hand:
 * one answer per file, each file's failure its own, bad input refused whole before anything changes; and
 * a real agent that sends its small files in batches, or one at a time to a server without batches.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
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
import { readUntil } from './support/wait.ts';

const hex = (algorithm: string, data: string | Buffer) => createHash(algorithm).update(data).digest('hex');
const owner = 'bl8-daq:4242:cafe';
const mtime = '2026-11-21T10:00:00.000Z';

describeBackends('DAQ agent batches', (backend) => {
  let t: TestApp;
  let manager: string;
  let experiment: { dataDirectory: string; storageDirectory: string };
  let daqId: number;
  let detectors: TempDir;

  before(async () => {
    t = await createTestApp(backend);
    manager = await t.user('mia');
    await t.station('8-ID-I', ['mia']);
    detectors = await sourceRoot(t, '8-ID-I');
    experiment = await t.experiment('batch-exp', '8-ID-I');
    const created = await t.call('POST', '/api/v1/daqs', {
      token: manager,
      body: { experiment: 'batch-exp', dataDirectory: join(detectors.path, 'on-bl8'), agent: 'bl8-daq' },
    });
    daqId = created.body.id;
    const claimed = await t.call('POST', '/api/v1/daqs/claim', {
      token: manager,
      body: { agent: 'bl8-daq', owner },
    });
    assert.equal(claimed.body.daq.id, daqId, JSON.stringify(claimed.body));
  });
  after(async () => {
    await t.close();
    await detectors.remove();
  });

  const post = (what: 'offers' | 'commits' | 'catalogs' | 'offer' | 'commit', body: unknown) =>
    t.call('POST', `/api/v1/daqs/${daqId}/files/${what}`, { token: manager, body });
  const send = (content: string, version: { relativePath: string; size: number; mtime: string }) =>
    t.app.http.inject({
      method: 'PUT',
      url: `/api/v1/daqs/${daqId}/files/content?${new URLSearchParams({
        owner,
        relativePath: version.relativePath,
        size: String(version.size),
        mtime: version.mtime,
        offset: '0',
      })}`,
      headers: { authorization: `Bearer ${manager}`, 'content-type': 'application/octet-stream' },
      payload: Buffer.from(content),
    });
  const versionOf = (relativePath: string, content: string) => ({
    relativePath,
    size: content.length,
    mtime,
  });
  const checksumsOf = (relativePath: string, content: string) => ({
    ...versionOf(relativePath, content),
    md5: hex('md5', content),
    sha256: hex('sha256', content),
  });
  const stagingRows = async () =>
    (await t.app.context.db.selectFrom('daq_staging').select('path').where('daq_id', '=', daqId).execute())
      .map((row) => row.path)
      .sort();
  const catalogPaths = async () =>
    (await t.call('GET', '/api/v1/experiments/batch-exp/files?limit=1000')).body.items
      .map((file: { experimentFilePath: string }) => file.experimentFilePath)
      .sort();

  it('answers a batch file by file: new files taken together, cataloged ones skipped, a wrong checksum refused alone', async () => {
    const files = {
      old: 'frame 0: already in the catalog',
      a: 'frame 1: arrives intact',
      b: 'frame 2: corrupted on the way',
      c: 'frame 3: in the same batch',
    };
    // frame 0 goes in through the single-file endpoints, as an older agent sends it.
    await post('offer', { owner, ...versionOf('f0.h5', files.old) });
    await send(files.old, versionOf('f0.h5', files.old));
    assert.equal((await post('commit', { owner, ...checksumsOf('f0.h5', files.old) })).status, 200);

    const offered = await post('offers', {
      owner,
      files: [
        versionOf('f0.h5', files.old),
        versionOf('scan/f1.h5', files.a),
        versionOf('scan/f2.h5', files.b),
        versionOf('scan/f3.h5', files.c),
      ],
    });
    assert.equal(offered.status, 200, JSON.stringify(offered.body));
    assert.deepEqual(offered.body.offers, [
      { relativePath: 'f0.h5', action: 'skip', held: 0 },
      { relativePath: 'scan/f1.h5', action: 'send', held: 0 },
      { relativePath: 'scan/f2.h5', action: 'send', held: 0 },
      { relativePath: 'scan/f3.h5', action: 'send', held: 0 },
    ]);
    await send(files.a, versionOf('scan/f1.h5', files.a));
    await send(`${files.b.slice(0, -1)}!`, versionOf('scan/f2.h5', files.b));
    await send(files.c, versionOf('scan/f3.h5', files.c));

    const committed = await post('commits', {
      owner,
      files: [
        checksumsOf('scan/f1.h5', files.a),
        checksumsOf('scan/f2.h5', files.b),
        checksumsOf('scan/f3.h5', files.c),
        checksumsOf('scan/never-sent.h5', 'nothing was sent of this one'),
      ],
    });
    assert.equal(committed.status, 200, JSON.stringify(committed.body));
    const [a, b, c, unsent] = committed.body.results;
    assert.deepEqual(
      [a.status, a.relativePath, a.path, a.outcome, a.sha256],
      ['taken', 'scan/f1.h5', 'scan/f1.h5', 'copied', hex('sha256', files.a)],
    );
    assert.equal(b.status, 'failed');
    assert.equal(b.error.code, 'checksum_mismatch');
    assert.equal(b.error.details.expectedSha256, hex('sha256', files.b));
    assert.equal(c.status, 'taken');
    assert.equal(unsent.status, 'failed');
    assert.equal(unsent.error.code, 'staging_mismatch');

    assert.deepEqual(await catalogPaths(), ['f0.h5', 'scan/f1.h5', 'scan/f3.h5']);
    assert.equal(readFileSync(join(experiment.dataDirectory, 'scan', 'f1.h5'), 'utf8'), files.a);
    assert.ok(
      !existsSync(join(experiment.dataDirectory, 'scan', 'f2.h5')),
      'the corrupted file is not stored',
    );
    const record = (await t.call('GET', '/api/v1/experiments/batch-exp/file?path=scan/f3.h5')).body;
    assert.equal(record.originId, daqId);
    assert.equal(record.md5Sum, hex('md5', files.c));
    assert.deepEqual(await stagingRows(), [], 'taken and refused files leave nothing staged');
    const again = await post('offers', { owner, files: [versionOf('scan/f2.h5', files.b)] });
    assert.deepEqual(
      again.body.offers,
      [{ relativePath: 'scan/f2.h5', action: 'send', held: 0 }],
      'the refused file is sent again from the start',
    );
    const daq = (await t.call('GET', `/api/v1/daqs/${daqId}`)).body;
    assert.equal(daq.nProcessedFiles, 3);
  });

  it('refuses a bad batch whole with a clear 400, and changes nothing', async () => {
    const content = 'frame 9: offered in a bad company';
    const good = versionOf('good/f9.h5', content);
    const rowsBefore = await stagingRows();
    const cases: [string, unknown[], string][] = [
      ['an empty list', [], 'files'],
      ['too many files', Array.from({ length: 257 }, (_, i) => versionOf(`many/${i}.h5`, 'x')), 'files'],
      ['a path out of the experiment', [good, versionOf('../escape.h5', 'x')], 'files/1/relativePath'],
      ['a path out, deeper', [good, versionOf('scan/../../x.h5', 'x')], 'files/1/relativePath'],
      ['an absolute path', [versionOf('/etc/passwd', 'x'), good], 'files/0/relativePath'],
      ['the same path twice', [good, good], 'files/1/relativePath'],
    ];
    for (const [label, files, field] of cases) {
      const refused = await post('offers', { owner, files });
      assert.equal(refused.status, 400, `${label}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error.code, 'validation_failed', label);
      const fields = refused.body.error.details.fields.map((problem: { field: string }) => problem.field);
      assert.ok(
        fields.some((name: string) => name.includes(field)),
        `${label}: ${field} in ${fields}`,
      );
      assert.deepEqual(await stagingRows(), rowsBefore, `${label}: nothing staged`);
    }

    // A good file staged and sent, then committed next to a bad path: nothing is taken.
    await post('offers', { owner, files: [good] });
    await send(content, good);
    const bad = await post('commits', {
      owner,
      files: [checksumsOf('good/f9.h5', content), checksumsOf('a/../../b.h5', 'x')],
    });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.equal(bad.body.error.details.fields[0].field, 'files/1/relativePath');
    assert.equal((await post('commits', { owner, files: [] })).status, 400);
    assert.ok(!(await catalogPaths()).includes('good/f9.h5'), 'the good file was not taken either');
    assert.ok(!existsSync(join(experiment.dataDirectory, 'good', 'f9.h5')));
    const held = await post('offers', { owner, files: [good] });
    assert.deepEqual(held.body.offers[0], {
      relativePath: 'good/f9.h5',
      action: 'send',
      held: content.length,
    });

    const stranger = await t.call('POST', `/api/v1/daqs/${daqId}/files/offers`, {
      token: manager,
      body: { owner: 'bl8-daq:1:dead', files: [good] },
    });
    assert.equal(stranger.status, 409);
    assert.equal(stranger.body.error.code, 'lease_lost');
  });

  it('catalogs a batch of direct copies file by file: verified ones together, a wrong or missing one refused alone', async () => {
    const files = { d1: 'direct 1: copied intact', d2: 'direct 2: damaged in storage' };
    writeFileSync(join(experiment.dataDirectory, 'd1.h5'), files.d1);
    writeFileSync(join(experiment.dataDirectory, 'd2.h5'), `${files.d2.slice(0, -1)}?`);
    const cataloged = await post('catalogs', {
      owner,
      files: [
        checksumsOf('d1.h5', files.d1),
        checksumsOf('d2.h5', files.d2),
        checksumsOf('d3.h5', 'direct 3: never copied'),
      ],
    });
    assert.equal(cataloged.status, 200, JSON.stringify(cataloged.body));
    const [d1, d2, d3] = cataloged.body.results;
    assert.deepEqual([d1.status, d1.path, d1.outcome], ['taken', 'd1.h5', 'copied']);
    assert.deepEqual([d2.status, d2.error.code], ['failed', 'checksum_mismatch']);
    assert.deepEqual([d3.status, d3.error.code], ['failed', 'file_not_found']);
    const paths = await catalogPaths();
    assert.ok(paths.includes('d1.h5') && !paths.includes('d2.h5') && !paths.includes('d3.h5'), `${paths}`);
    const record = (await t.call('GET', '/api/v1/experiments/batch-exp/file?path=d1.h5')).body;
    assert.equal(record.sha256Sum, hex('sha256', files.d1));

    const refused = await post('catalogs', {
      owner,
      files: [checksumsOf('d2.h5', files.d2), checksumsOf('../d4.h5', 'x')],
    });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error.details.fields[0].field, 'files/1/relativePath');
    assert.equal((await post('catalogs', { owner, files: [] })).status, 400);
    assert.deepEqual(await catalogPaths(), paths, 'a refused batch catalogs nothing');
  });

  /** A real agent beside this app, through a link that counts (or refuses) what it carries. */
  async function runAgent(name: string, files: number, refuseBatches: boolean) {
    const detector = { path: join(detectors.path, 'batch') };
    mkdirSync(detector.path);
    const written = new Map<string, Buffer>();
    for (let i = 0; i < files; i++) {
      const content = Buffer.from(`frame ${i} of ${name}: ${'x'.repeat(i)}`);
      writeFileSync(join(detector.path, `frame_${i}.h5`), content);
      written.set(`${name}/frame_${i}.h5`, content);
    }
    const created = await t.call('POST', '/api/v1/daqs', {
      token: manager,
      body: {
        experiment: 'batch-exp',
        dataDirectory: detector.path,
        destDirectory: name,
        agent: name,
        settleSeconds: 0,
      },
    });
    if (!t.app.http.server.listening) await t.app.http.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.http.server.address() as { port: number };
    const requests = new Map<string, number>();
    const counting: typeof fetch = (input, init) => {
      const route = /\/files\/(\w+)/.exec(String(input))?.[1];
      if (route !== undefined) requests.set(route, (requests.get(route) ?? 0) + 1);
      if (refuseBatches && (route === 'offers' || route === 'commits')) {
        const error = { error: { code: 'route_not_found', message: 'no such route', details: {} } };
        return Promise.resolve(Response.json(error, { status: 404 }));
      }
      return fetch(input, init);
    };
    const client = new PhotonClient({ server: `http://127.0.0.1:${port}`, token: manager, fetch: counting });
    const agent = startDaqAgent({
      client,
      name,
      logger: pino({ level: 'silent' }),
      allowedDirectories: [realpathSync(tmpdir())],
      claimEveryMs: 100,
    });
    try {
      const daq = await readUntil(
        async () => (await t.call('GET', `/api/v1/daqs/${created.body.id}`)).body,
        (daq) => daq.nProcessedFiles >= files,
        { timeout: 60_000, interval: 100 },
      );
      assert.equal(daq.nProcessedFiles, files, JSON.stringify(daq));
      assert.equal(daq.nProcessingErrors, 0);
      for (const [path, content] of written)
        assert.ok(readFileSync(join(experiment.dataDirectory, path)).equals(content), `${path} intact`);
      return requests;
    } finally {
      await agent.stop();
      rmSync(detector.path, { recursive: true, force: true });
    }
  }

  it('has a real agent send its small files in batches: one offer and one commit request for many files', async () => {
    const requests = await runAgent('bl8-batches', 40, false);
    assert.equal(requests.get('content'), 40, 'each file its own content PUT');
    // A file found alone is sent alone (single-file requests); files found together go in batches.
    const offerRequests = (requests.get('offers') ?? 0) + (requests.get('offer') ?? 0);
    const commitRequests = (requests.get('commits') ?? 0) + (requests.get('commit') ?? 0);
    assert.ok((requests.get('offers') ?? 0) >= 1, 'at least one batch');
    assert.ok(offerRequests < 40, `offer requests: ${JSON.stringify([...requests])}`);
    assert.ok(commitRequests < 40, `commit requests: ${JSON.stringify([...requests])}`);
  });

  it('has the agent send one file at a time to a server without batches (404 route_not_found)', async () => {
    const requests = await runAgent('bl8-old-server', 12, true);
    assert.equal(requests.get('offer'), 12);
    assert.equal(requests.get('commit'), 12);
    assert.ok((requests.get('offers') ?? 0) >= 1, 'it tried a batch first');
  });
});
