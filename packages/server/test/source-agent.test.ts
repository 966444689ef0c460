/**
 * A DAQ agent reads only the directories its own configuration allows (issue 10): a DAQ assigned to it
 * elsewhere, or through a symbolic link out of an allowed directory, is refused and fails on the server
 * with the agent's reason; one inside is taken as before.
 */
import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { PhotonClient } from '@photon-dm/client';
import { pino } from 'pino';
import type { ClaimLoop } from '../src/claims/claim-loop.ts';
import { startDaqAgent } from '../src/daq-agent/agent.ts';
import { resolveAllowedDirectories } from '../src/daq-agent/allowed-directories.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { until } from './support/wait.ts';

describeBackends('DAQ agent allowed directories', (backend) => {
  let t: TestApp;
  let allowed: TempDir;
  let outside: TempDir;
  let agent: ClaimLoop;

  before(async () => {
    t = await createTestApp(backend);
    await t.station('8-ID-I');
    await t.experiment('agent-1', '8-ID-I');
    allowed = await tempDir('dm-agent-allowed-');
    outside = await tempDir('dm-agent-outside-');
    mkdirSync(join(allowed.path, 'run1'));
    writeFileSync(join(allowed.path, 'run1', 'frame.tif'), 'frame');
    writeFileSync(join(outside.path, 'secret.tif'), 'not for this agent');
    symlinkSync(outside.path, join(allowed.path, 'link-out'));
    await t.app.http.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.http.server.address() as { port: number };
    agent = startDaqAgent({
      client: new PhotonClient({ server: `http://127.0.0.1:${port}`, token: t.adminToken }),
      name: 'bl8-allow',
      logger: pino({ level: 'silent' }),
      allowedDirectories: await resolveAllowedDirectories([allowed.path]),
      claimEveryMs: 100,
    });
  });
  after(async () => {
    await agent.stop();
    await t.close();
    await allowed.remove();
    await outside.remove();
  });

  async function daqUntil(id: number, done: (daq: { status: string; nProcessedFiles: number }) => boolean) {
    return until(
      async () => {
        const daq = (await t.call('GET', `/api/v1/daqs/${id}`)).body;
        return done(daq) && daq;
      },
      { timeout: 60_000, message: `DAQ ${id} got there` },
    );
  }

  it('refuses a DAQ outside its allowed directories, and one that links out of them', async () => {
    for (const [dataDirectory, resolved] of [
      [outside.path, undefined],
      [join(allowed.path, 'link-out'), realpathSync(outside.path)],
    ] as const) {
      const created = await t.call('POST', '/api/v1/daqs', {
        body: { experiment: 'agent-1', dataDirectory, agent: 'bl8-allow', settleSeconds: 0 },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const daq = await daqUntil(created.body.id, (d) => d.status === 'failed');
      assert.match(daq.lastError, /the DAQ agent bl8-allow refused it/);
      assert.match(daq.lastError, /--allow-directory/);
      if (resolved) assert.match(daq.lastError, new RegExp(`resolves to ${resolved}`));
      assert.equal(daq.nProcessedFiles, 0);
    }
  });

  it('takes the files of a DAQ inside them as before', async () => {
    const created = await t.call('POST', '/api/v1/daqs', {
      body: {
        experiment: 'agent-1',
        dataDirectory: join(allowed.path, 'run1'),
        agent: 'bl8-allow',
        settleSeconds: 0,
      },
    });
    const daq = await daqUntil(created.body.id, (d) => d.nProcessedFiles === 1);
    assert.equal(daq.status, 'running');
    assert.equal((await t.call('POST', `/api/v1/daqs/${created.body.id}/stop`)).status, 200);
  });

  it('refuses allowed directories that do not exist or overlap the mounted storage root', async () => {
    await assert.rejects(resolveAllowedDirectories(['/nonexistent-dm-dir']), /is not a directory/);
    await assert.rejects(
      resolveAllowedDirectories([t.storageRoot], t.storageRoot),
      /overlaps the storage root/,
    );
    await assert.rejects(resolveAllowedDirectories(['/'], t.storageRoot), /overlaps the storage root/);
  });
});
