/**
 * Download links for browsers: a member asks for signed URLs, then anyone holding one gets the file's bytes
 * (or a tar of a selection) without a token, until it expires, while its user may still read the experiment.
 * A tampered or expired link gets nothing, and no link reaches a file outside the experiment's catalog.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { pino } from 'pino';
import { extract } from 'tar-stream';
import { createApp } from '../src/app.ts';
import { signDownload } from '../src/catalog/download-links.ts';
import { currentDownloadKey } from '../src/secrets/service.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describeBackends('download links', (backend) => {
  let t: TestApp;
  let beamline: TempDir;
  let dora: string;
  const logLines: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  );
  const frame = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));

  before(async () => {
    t = await createTestApp(backend, {}, { logger });
    await t.station('8-ID-I');
    await t.experiment('xpcs-dl', '8-ID-I');
    await t.experiment('other-dl', '8-ID-I');
    dora = await t.user('dora');
    await addMember('dora');
    beamline = await tempDir('dm-download-');
    mkdirSync(join(beamline.path, 'scan_1'));
    writeFileSync(join(beamline.path, 'scan_1', 'frame_1.bin'), frame);
    writeFileSync(join(beamline.path, 'scan_1', 'notes ü.txt'), 'sample: lysozyme\n');
    const started = await t.call('POST', '/api/v1/uploads', {
      body: { experiment: 'xpcs-dl', dataDirectory: beamline.path },
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    for (let i = 0; i < 400; i++) {
      const upload = await t.call('GET', `/api/v1/uploads/${started.body.id}`);
      if (upload.body.status === 'done') return;
      assert.ok(!['failed', 'aborted'].includes(upload.body.status), JSON.stringify(upload.body));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('upload did not finish');
  });
  after(async () => {
    await t.close();
    await beamline.remove();
  });

  async function addMember(username: string) {
    const added = await t.call('POST', '/api/v1/experiments/xpcs-dl/users', {
      body: { username, role: 'user' },
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
  }

  async function links(paths: string[], token = dora, extra: Record<string, unknown> = {}) {
    return t.call('POST', '/api/v1/experiments/xpcs-dl/files/download-links', {
      token,
      body: { paths, ...extra },
    });
  }

  /** Follows a link as a browser does: no Authorization header. */
  async function follow(url: string, headers: Record<string, string> = {}) {
    return t.app.http.inject({ method: 'GET', url, headers });
  }

  it('gives a member a link that yields the file without a token, whole or from a byte range', async () => {
    const answer = await links(['scan_1/frame_1.bin']);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.archive, null, 'one file needs no archive');
    const [link] = answer.body.files;
    assert.equal(link.fileName, 'frame_1.bin');
    assert.ok(Date.parse(answer.body.expiresAt) > Date.now());

    const whole = await follow(link.url);
    assert.equal(whole.statusCode, 200);
    assert.equal(sha256(whole.rawPayload), sha256(frame));
    assert.equal(whole.headers['x-dm-sha256'], sha256(frame));
    assert.match(String(whole.headers['content-disposition']), /attachment; filename="frame_1.bin"/);
    assert.equal(whole.headers['cache-control'], 'private, no-store');

    const tail = await follow(link.url, { range: 'bytes=4000-' });
    assert.equal(tail.statusCode, 206);
    assert.equal(tail.headers['content-range'], 'bytes 4000-4999/5000');
    assert.deepEqual(tail.rawPayload, frame.subarray(4000));

    const logged = logLines.filter((line) => line.includes('/api/v1/downloads'));
    assert.ok(logged.length >= 2, 'each download is logged');
    assert.ok(!logged.some((line) => line.includes(link.url.split('link=')[1])), 'but never the link itself');

    assert.ok(
      !existsSync(join(t.dataDir, 'download-secret')),
      'the key lives in the database, not in a file',
    );
  });

  it('streams a selection as one tar archive of exactly those files', async () => {
    const answer = await links(['scan_1/frame_1.bin', 'scan_1/notes ü.txt', 'scan_1/frame_1.bin']);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.files.length, 2, 'a path asked twice is one file');
    assert.equal(answer.body.archive.fileName, 'xpcs-dl.tar');
    const response = await follow(answer.body.archive.url);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/x-tar');
    const members = await untar(response.rawPayload);
    assert.deepEqual([...members.keys()], ['xpcs-dl/scan_1/frame_1.bin', 'xpcs-dl/scan_1/notes ü.txt']);
    assert.equal(sha256(members.get('xpcs-dl/scan_1/frame_1.bin') ?? Buffer.alloc(0)), sha256(frame));
    assert.equal(members.get('xpcs-dl/scan_1/notes ü.txt')?.toString(), 'sample: lysozyme\n');
  });

  it('refuses an expired link and a tampered one', async () => {
    const secret = await currentDownloadKey(t.app.context);
    const grant = { experimentName: 'xpcs-dl', paths: ['scan_1/frame_1.bin'], userId: await doraId() };
    const expired = signDownload(secret, { ...grant, expiresAt: Math.floor(Date.now() / 1000) - 1 });
    const gone = await follow(`/api/v1/downloads?link=${expired}`);
    assert.equal(gone.statusCode, 410);
    assert.equal(gone.json().error.code, 'download_link_expired');

    const good = (await links(['scan_1/frame_1.bin'])).body.files[0].url as string;
    const token = decodeURIComponent(good.split('link=')[1] ?? '');
    const [payload, signature] = token.split('.') as [string, string];
    const otherPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), e: 'other-dl' }),
    ).toString('base64url');
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
    for (const tampered of [`${otherPayload}.${signature}`, `${payload}.${flipped}`, payload, 'x.y.z']) {
      const refused = await follow(`/api/v1/downloads?link=${encodeURIComponent(tampered)}`);
      assert.equal(refused.statusCode, 403, tampered);
      assert.equal(refused.json().error.code, 'download_link_invalid');
    }
  });

  it('stops working for a user who lost access, and for a disabled account', async () => {
    const url = (await links(['scan_1/frame_1.bin'])).body.files[0].url as string;
    assert.equal((await follow(url)).statusCode, 200);
    await t.call('DELETE', '/api/v1/experiments/xpcs-dl/users/dora');
    const refused = await follow(url);
    assert.equal(refused.statusCode, 404);
    assert.equal(refused.json().error.code, 'experiment_not_found');
    await addMember('dora');
    assert.equal((await follow(url)).statusCode, 200, 'access given back, the link works again');

    const signedFor = await t.user('sam');
    await addMember('sam');
    const samsLink = (await links(['scan_1/frame_1.bin'], signedFor)).body.files[0].url as string;
    const disabled = await t.call('PATCH', '/api/v1/users/sam', { body: { disabled: true } });
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
    assert.equal((await follow(samsLink)).statusCode, 403);
  });

  it('signs only cataloged files of an experiment the caller may read, so no link leaves the experiment', async () => {
    for (const path of ['../other-dl/x', '/etc/passwd', 'scan_1/missing.bin']) {
      const refused = await links([path]);
      assert.equal(refused.status, 400, path);
      assert.equal(refused.body.error.details.fields[0].field, 'paths');
    }
    const stranger = await t.user('stranger');
    assert.equal((await links(['scan_1/frame_1.bin'], stranger)).status, 404);
    assert.equal((await links(['scan_1/frame_1.bin'], '')).status, 401);
    assert.equal((await links([])).status, 400);

    // Even a link the server signed by mistake for a path outside reaches nothing: only catalog records are served.
    const secret = await currentDownloadKey(t.app.context);
    const forged = signDownload(secret, {
      experimentName: 'xpcs-dl',
      paths: ['../../../../etc/passwd'],
      userId: await doraId(),
      expiresAt: Math.floor(Date.now() / 1000) + 60,
    });
    const outside = await follow(`/api/v1/downloads?link=${forged}`);
    assert.equal(outside.statusCode, 404);
    assert.equal(outside.json().error.code, 'file_not_found');
  });

  it('stops honouring links made before the key is rotated, on every api process', async () => {
    // A second api process on the same database, with its own data directory, as on another host.
    const otherDataDir = await tempDir('dm-download-other-host-');
    const other = await createApp({
      settings: { ...t.app.context.settings, dataDir: otherDataDir.path },
      logger: pino({ level: 'silent' }),
    });
    try {
      const old = (await links(['scan_1/frame_1.bin'])).body.files[0].url as string;
      assert.equal((await follow(old)).statusCode, 200);
      assert.equal((await other.http.inject({ method: 'GET', url: old })).statusCode, 200, 'hosts agree');

      const refused = await t.call('POST', '/api/v1/secrets/download-key/rotate', { token: dora });
      assert.equal(refused.status, 403, 'only admins rotate the key');
      const rotated = await t.call('POST', '/api/v1/secrets/download-key/rotate');
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.ok(Date.parse(rotated.body.rotatedAt) > 0);

      for (const [host, answer] of [
        ['this host', await follow(old)],
        ['the other host', await other.http.inject({ method: 'GET', url: old })],
      ] as const) {
        assert.equal(answer.statusCode, 403, host);
        assert.equal(answer.json().error.code, 'download_link_invalid', host);
      }
      const fresh = (await links(['scan_1/frame_1.bin'])).body.files[0].url as string;
      assert.equal((await other.http.inject({ method: 'GET', url: fresh })).statusCode, 200);
      const audit = await t.call('GET', '/api/v1/audit?action=secret.rotate');
      assert.equal(audit.body.items.length, 1);
      assert.equal(audit.body.items[0].actor, 'admin');
      assert.deepEqual(audit.body.items[0].details, {}, 'the key itself is never logged');
    } finally {
      await other.close();
      await otherDataDir.remove();
    }
  });

  async function doraId(): Promise<number> {
    const row = await t.app.context.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'dora')
      .executeTakeFirstOrThrow();
    return row.id;
  }
});

async function untar(archive: Buffer): Promise<Map<string, Buffer>> {
  const members = new Map<string, Buffer>();
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        members.set(header.name, Buffer.concat(chunks));
        next();
      });
    });
    reader.on('finish', () => resolve());
    reader.on('error', (error) => reject(error));
  });
  reader.end(archive);
  await done;
  return members;
}
