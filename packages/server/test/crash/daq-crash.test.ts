/**
 * SIGKILL the real server again and again while a detector writes into a DAQ's directory. Afterwards every
 * file is in storage and in the catalog exactly once with the right checksum, and no partial file remains.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import { api } from '../support/server-process.ts';
import { serverStory } from '../support/server-story.ts';
import { describeBackends } from '../support/test-database.ts';
import { readUntil } from '../support/wait.ts';

const fileCount = 120;
const kills = 3;

describeBackends('DAQ under SIGKILL', (backend) => {
  const story = serverStory(backend, 'dm-daq-crash-');

  it('loses no file and takes none twice', async () => {
    let server = await story.start();
    const token = await story.login(server);
    await api(server.url, 'POST', '/api/v1/stations', token, { name: '8-ID-I' });
    const experiment = (
      await api(server.url, 'POST', '/api/v1/experiments', token, { name: 'crash-daq', station: '8-ID-I' })
    ).body;
    const detector = join(story.root, 'detector');
    mkdirSync(detector);
    const daq = await api(server.url, 'POST', '/api/v1/daqs', token, {
      experiment: 'crash-daq',
      dataDirectory: detector,
      settleSeconds: 0.2,
    });
    assert.equal(daq.status, 201, JSON.stringify(daq.body));

    const written = new Map<string, string>();
    const writer = (async () => {
      for (let i = 0; i < fileCount; i++) {
        const content = randomBytes(20_000 + Math.floor(Math.random() * 200_000));
        const name = `frame_${String(i).padStart(4, '0')}.raw`;
        writeFileSync(join(detector, name), content);
        written.set(name, createHash('md5').update(content).digest('hex'));
        await pause(15); // the detector's pace
      }
    })();

    for (let round = 0; round < kills; round++) {
      await pause(300 + Math.random() * 500); // a kill at a random moment
      await server.kill();
      server = await story.start();
    }
    await writer;

    const { url } = server;
    const taken = await readUntil(
      async () =>
        (await api(url, 'GET', `/api/v1/daqs/${daq.body.id}`, token)).body.nProcessedFiles as number,
      (taken) => taken >= fileCount,
      { timeout: 60_000, interval: 100 },
    );
    assert.equal(taken, fileCount, 'the DAQ took every file');

    const files = (await api(server.url, 'GET', '/api/v1/experiments/crash-daq/files?limit=1000', token)).body
      .items as {
      experimentFilePath: string;
      md5Sum: string;
      storageFilePath: string;
    }[];
    assert.equal(files.length, fileCount, 'one record per file');
    for (const file of files) {
      assert.equal(
        file.md5Sum,
        written.get(file.experimentFilePath),
        `${file.experimentFilePath} recorded with its checksum`,
      );
      const stored = createHash('md5').update(readFileSync(file.storageFilePath)).digest('hex');
      assert.equal(stored, written.get(file.experimentFilePath), `${file.experimentFilePath} stored intact`);
    }
    const inStorage = readdirSync(experiment.dataDirectory);
    assert.deepEqual(
      inStorage.filter((name) => name.includes('dm-partial')),
      [],
      'no partial file remains',
    );
    assert.equal(inStorage.length, fileCount, 'nothing in storage that is not cataloged');
    assert.equal(await server.stop(), 0);
  });
});
