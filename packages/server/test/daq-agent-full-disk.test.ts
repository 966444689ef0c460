/**
 * The server's storage fills up while a DAQ agent sends it files over HTTP: the server answers 507
 * storage_full, the DAQ says so and keeps running, and the agent sends the file once space returns. A real
 * tmpfs of 512 KiB is the server's storage (needs root to mount; skipped with the reason otherwise).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { PhotonClient } from '@photon-dm/client';
import { pino } from 'pino';
import { startDaqAgent } from '../src/daq-agent/agent.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { mountTinyTmpfs, resizeTmpfs, unmountTmpfs } from './support/tiny-tmpfs.ts';
import { readUntil } from './support/wait.ts';

describeBackends('DAQ agent and a full disk on the server', (backend) => {
  let t: TestApp;
  let root: string;
  let storage: string;
  let skipReason: string | undefined;
  let dataDirectory: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'dm-agent-full-'));
    storage = join(root, 'storage');
    mkdirSync(storage);
    skipReason = mountTinyTmpfs(storage, '512k');
    if (skipReason) return;
    t = await createTestApp(backend, { DM_STORAGE_ROOT: storage });
    await t.station('8-ID-I');
    ({ dataDirectory } = await t.experiment('agent-full', '8-ID-I'));
    await t.app.http.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    if (!skipReason) {
      await t.close();
      unmountTmpfs(storage);
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('waits with a clear error while the server is full and sends the file when space returns', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const detector = join(root, 'detector');
    mkdirSync(detector);
    const content = Buffer.alloc(800 * 1024, 7);
    writeFileSync(join(detector, 'big.raw'), content);
    const created = await t.call('POST', '/api/v1/daqs', {
      body: { experiment: 'agent-full', dataDirectory: detector, agent: 'bl8-full', settleSeconds: 0 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { port } = t.app.http.server.address() as { port: number };
    const agent = startDaqAgent({
      client: new PhotonClient({ server: `http://127.0.0.1:${port}`, token: t.adminToken }),
      name: 'bl8-full',
      logger: pino({ level: 'silent' }),
      allowedDirectories: [realpathSync(tmpdir())],
      claimEveryMs: 100,
    });
    try {
      const daqOf = async () => (await t.call('GET', `/api/v1/daqs/${created.body.id}`)).body;
      let daq = await readUntil(daqOf, (daq) => /storage is full/.test(daq.lastError ?? ''), {
        interval: 100,
      });
      assert.match(daq.lastError ?? '', /storage is full/);
      assert.equal(daq.status, 'running', 'a full disk does not end the DAQ');
      assert.equal(daq.nProcessedFiles, 0);
      assert.equal(daq.nProcessingErrors, 0, 'the file is not given up on');

      resizeTmpfs(storage, '4m');
      daq = await readUntil(daqOf, (daq) => daq.nProcessedFiles >= 1, { interval: 100 });
      assert.equal(daq.nProcessedFiles, 1, 'the file is taken once space returns');
      const stored = readFileSync(join(dataDirectory, 'big.raw'));
      assert.ok(stored.equals(content), 'stored whole, byte for byte');
    } finally {
      await agent.stop();
    }
  });
});
