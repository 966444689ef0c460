/**
 * A DAQ agent (`dm daq-agent`) beside a real server (`dm serve`), both child processes, while a detector
 * writes files: every complete file reaches storage and the catalog once with its checksums, through
 * SIGKILLs of the agent, a server killed in the middle of a large file, and in direct-copy mode.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import { type AgentProcess, startAgentProcess } from '../support/agent-process.ts';
import { api, type ServerProcess, startServerProcess } from '../support/server-process.ts';
import { adminPassword } from '../support/test-app.ts';
import { createTestDatabase, describeBackends } from '../support/test-database.ts';
import { until } from '../support/wait.ts';

const digest = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest('hex');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface CatalogFile {
  experimentFilePath: string;
  md5Sum: string;
  sha256Sum: string;
  storageFilePath: string;
  originId: number;
}

describeBackends('DAQ agent processes', (backend) => {
  let root: string;
  let database: { url: string; drop(): Promise<void> };
  let server: ServerProcess;
  let port: number;
  let token: string;
  const agents: AgentProcess[] = [];

  const startServer = async () => {
    server = await startServerProcess(
      [
        ...['--data-dir', join(root, 'data'), '--database-url', database.url],
        ...['--port', String(port), '--host', '127.0.0.1', '--log-level', 'info'],
      ],
      { DM_ADMIN_PASSWORD: adminPassword },
    );
  };
  const startAgent = async (name: string, extra: string[] = [], env: Record<string, string> = {}) => {
    const agent = await startAgentProcess(server.url, token, ['--name', name, ...extra], env);
    agents.push(agent);
    return agent;
  };
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await api(server.url, method, path, token, body);
    assert.ok(response.status < 300, `${method} ${path}: ${JSON.stringify(response.body)}`);
    return response.body;
  };
  const filesOf = async (experiment: string): Promise<CatalogFile[]> =>
    (await call('GET', `/api/v1/experiments/${experiment}/files?limit=1000`)).items;

  /** A new experiment and an agent DAQ on a new detector directory. */
  const setUp = async (experiment: string, agent: string, extra: Record<string, unknown> = {}) => {
    const created = await call('POST', '/api/v1/experiments', { name: experiment, station: '8-ID-I' });
    const detector = join(root, `detector-${experiment}`);
    mkdirSync(detector);
    const daq = await call('POST', '/api/v1/daqs', {
      experiment,
      dataDirectory: detector,
      agent,
      settleSeconds: 0.3,
      ...extra,
    });
    return { detector, daqId: daq.id as number, dataDirectory: created.dataDirectory as string, created };
  };
  const waitForTaken = async (daqId: number, count: number, timeoutMs = 120_000) => {
    await until(async () => (await call('GET', `/api/v1/daqs/${daqId}`)).nProcessedFiles >= count, {
      timeout: timeoutMs,
      interval: 200,
      message: `DAQ ${daqId} takes ${count} files`,
    }).catch(() => undefined); // the assertion below says what went wrong
    const daq = await call('GET', `/api/v1/daqs/${daqId}`);
    assert.equal(daq.nProcessedFiles, count, `DAQ ${daqId}: ${JSON.stringify(daq)}`);
    return daq;
  };
  const assertStoredOnce = async (experiment: string, written: Map<string, Buffer>) => {
    const files = await filesOf(experiment);
    assert.deepEqual(files.map((file) => file.experimentFilePath).sort(), [...written.keys()].sort());
    for (const file of files) {
      const content = written.get(file.experimentFilePath);
      assert.ok(content, `${file.experimentFilePath} was written by the test`);
      assert.equal(file.md5Sum, digest('md5', content), `${file.experimentFilePath} md5`);
      assert.equal(file.sha256Sum, digest('sha256', content), `${file.experimentFilePath} sha256`);
      assert.ok(
        readFileSync(file.storageFilePath).equals(content),
        `${file.experimentFilePath} stored intact`,
      );
    }
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'dm-daq-agent-'));
    database = await createTestDatabase(backend);
    port = await freePort();
    await startServer();
    token = (
      await api(server.url, 'POST', '/api/v1/auth/login', null, {
        username: 'admin',
        password: adminPassword,
      })
    ).body.token;
    await call('POST', '/api/v1/stations', { name: '8-ID-I' });
  });
  after(async () => {
    for (const agent of agents) await agent.kill();
    await server.kill();
    await database.drop();
    rmSync(root, { recursive: true, force: true });
  });

  it("takes new, renamed, hidden and skipped files as the server's DAQ does; the server never takes them itself", async () => {
    const { detector, daqId, dataDirectory } = await setUp('agent-http', 'bl8-daq', {
      skipPatterns: ['*.tmp'],
    });
    const written = new Map<string, Buffer>();
    const write = (name: string, content: Buffer) => {
      mkdirSync(join(detector, name, '..'), { recursive: true });
      writeFileSync(join(detector, name), content);
      written.set(name, content);
    };
    write('frame_0001.h5', randomBytes(50_000));
    write('empty.h5', Buffer.alloc(0));
    write('scan-2/frame_0002.h5', randomBytes(3_000_000));
    writeFileSync(join(detector, 'frame_0003.h5.tmp'), randomBytes(1000));
    renameSync(join(detector, 'frame_0003.h5.tmp'), join(detector, 'frame_0003.h5'));
    written.set('frame_0003.h5', readFileSync(join(detector, 'frame_0003.h5')));
    writeFileSync(join(detector, '.hidden'), 'not data');
    writeFileSync(join(detector, 'scratch.tmp'), 'skipped');

    // The server's runner claims pending DAQs oldest first: once it has claimed a server DAQ created after
    // the agent DAQ, it has had its chance at the agent DAQ too.
    await call('POST', '/api/v1/experiments', { name: 'runner-pass', station: '8-ID-I' });
    const later = join(root, 'detector-runner-pass');
    mkdirSync(later);
    const serverDaq = await call('POST', '/api/v1/daqs', { experiment: 'runner-pass', dataDirectory: later });
    await until(async () => (await call('GET', `/api/v1/daqs/${serverDaq.id}`)).status === 'running', {
      timeout: 60_000,
      message: 'the runner claims the later server DAQ',
    });
    await call('POST', `/api/v1/daqs/${serverDaq.id}/stop`);
    const untouched = await call('GET', `/api/v1/daqs/${daqId}`);
    assert.equal(untouched.status, 'pending', "the server's own runner leaves an agent DAQ alone");
    assert.equal(untouched.nProcessedFiles, 0);

    const agent = await startAgent('bl8-daq');
    await waitForTaken(daqId, 4);
    write('frame_0004.h5', randomBytes(70_000));
    const daq = await waitForTaken(daqId, 5);
    assert.equal(daq.status, 'running');
    assert.equal(daq.nProcessingErrors, 0);
    await assertStoredOnce('agent-http', written);
    assert.ok(!existsSync(join(dataDirectory, '.hidden')) && !existsSync(join(dataDirectory, 'scratch.tmp')));
    assert.equal(await agent.stop(), 0, agent.output());
    await call('POST', `/api/v1/daqs/${daqId}/stop`);
  });

  /** Writes a file under the detector directory and remembers its content. */
  const writer = (detector: string, written: Map<string, Buffer>) => (name: string, content: Buffer) => {
    mkdirSync(join(detector, name, '..'), { recursive: true });
    writeFileSync(join(detector, name), content);
    written.set(name, content);
  };

  it('takes files written after it started through watch hints, though it rescans only every ten minutes', async () => {
    const { detector, daqId } = await setUp('agent-hinted', 'bl8-hinted');
    const written = new Map<string, Buffer>();
    const write = writer(detector, written);
    write('before_start.h5', randomBytes(10_000));
    const agent = await startAgent('bl8-hinted', ['--daq-rescan-seconds', '600', '--log-level', 'info']);
    await waitForTaken(daqId, 1);
    // The first rescan is done: the next one is ten minutes away, far beyond the wait below, so only a
    // hint can bring these in (one in a directory that did not exist when the agent started).
    write('frame_0001.h5', randomBytes(50_000));
    write('scan-2/frame_0002.h5', randomBytes(50_000));
    const daq = await waitForTaken(daqId, 3);
    assert.equal(daq.nProcessingErrors, 0, JSON.stringify(daq.errors));
    await assertStoredOnce('agent-hinted', written);
    assert.match(agent.output(), /"watch":true,"rescanIntervalMs":600000/, 'the flag reached the DAQ');
    assert.equal(await agent.stop(), 0, agent.output());
    await call('POST', `/api/v1/daqs/${daqId}/stop`);
  });

  it('finds every file through its rescans alone with watching off (DM_DAQ_WATCH=no, as on NFS)', async () => {
    const { detector, daqId } = await setUp('agent-unwatched', 'bl8-nfs');
    const written = new Map<string, Buffer>();
    const write = writer(detector, written);
    const agent = await startAgent('bl8-nfs', ['--log-level', 'info'], {
      DM_DAQ_WATCH: 'no',
      DM_DAQ_RESCAN_SECONDS: '0.5',
    });
    write('frame_0001.h5', randomBytes(50_000));
    write('scan-2/frame_0002.h5', randomBytes(50_000));
    const daq = await waitForTaken(daqId, 2);
    assert.equal(daq.nProcessingErrors, 0, JSON.stringify(daq.errors));
    await assertStoredOnce('agent-unwatched', written);
    assert.match(agent.output(), /"watch":false,"rescanIntervalMs":500/, 'the variables reached the DAQ');
    assert.equal(await agent.stop(), 0, agent.output());
    await call('POST', `/api/v1/daqs/${daqId}/stop`);
  });

  it('refuses a bad rescan interval or watch setting as dm serve does, naming the flag or variable', async () => {
    await assert.rejects(
      startAgent('bl8-bad', ['--daq-watch', 'maybe']),
      /exited with 2[\s\S]*--daq-watch: "maybe" is not yes or no/,
    );
    await assert.rejects(
      startAgent('bl8-bad', [], { DM_DAQ_RESCAN_SECONDS: '0' }),
      /exited with 2[\s\S]*DM_DAQ_RESCAN_SECONDS: "0" is not a number from 0.1/,
    );
  });

  it('loses no file and takes none twice when the agent is SIGKILLed again and again', async () => {
    const { detector, daqId, created } = await setUp('agent-crash', 'bl8-crash', { settleSeconds: 0.2 });
    let agent = await startAgent('bl8-crash');
    const written = new Map<string, Buffer>();
    const fileCount = 100;
    const writer = (async () => {
      for (let i = 0; i < fileCount; i++) {
        const content = randomBytes(20_000 + Math.floor(Math.random() * 200_000));
        const name = `frame_${String(i).padStart(4, '0')}.raw`;
        writeFileSync(join(detector, name), content);
        written.set(name, content);
        await pause(15); // the detector's pace
      }
    })();
    for (let round = 0; round < 3; round++) {
      await pause(300 + Math.random() * 500); // a kill at a random moment
      await agent.kill();
      agent = await startAgent('bl8-crash');
    }
    await writer;
    await waitForTaken(daqId, fileCount);
    await assertStoredOnce('agent-crash', written);
    const inStorage = readdirSync(created.dataDirectory);
    assert.equal(inStorage.length, fileCount, 'nothing in storage that is not cataloged');
    assert.equal(await agent.stop(), 0, agent.output());
    await call('POST', `/api/v1/daqs/${daqId}/stop`);
    const staging = join(created.storageDirectory, 'system', 'daq-staging');
    assert.deepEqual(readdirSync(staging), [], 'no staging file remains once the DAQ stopped');
  });

  it('loses no file and takes none twice when the server is SIGKILLed again and again under a running agent', async () => {
    const { detector, daqId, created } = await setUp('agent-server-crash', 'bl8-steady', {
      settleSeconds: 0.2,
    });
    const agent = await startAgent('bl8-steady');
    const written = new Map<string, Buffer>();
    const fileCount = 100;
    const writer = (async () => {
      for (let i = 0; i < fileCount; i++) {
        const content = randomBytes(20_000 + Math.floor(Math.random() * 400_000));
        const name = `frame_${String(i).padStart(4, '0')}.raw`;
        writeFileSync(join(detector, name), content);
        written.set(name, content);
        await pause(15); // the detector's pace
      }
    })();
    for (let round = 0; round < 3; round++) {
      await pause(300 + Math.random() * 500); // a kill at a random moment
      await server.kill();
      await startServer();
    }
    await writer;
    await waitForTaken(daqId, fileCount);
    await assertStoredOnce('agent-server-crash', written);
    assert.equal(
      readdirSync(created.dataDirectory).length,
      fileCount,
      'nothing in storage that is not cataloged',
    );
    assert.equal(agent.child.exitCode, null, 'the agent rode out the restarts');
    assert.equal(await agent.stop(), 0, agent.output());
    await call('POST', `/api/v1/daqs/${daqId}/stop`);
    assert.deepEqual(readdirSync(join(created.storageDirectory, 'system', 'daq-staging')), []);
  });

  it('resumes a large file from the bytes already held after the server is killed in the middle', async () => {
    const { detector, daqId, created } = await setUp('agent-large', 'bl8-large');
    const staging = join(created.storageDirectory, 'system', 'daq-staging', String(daqId));
    const block = randomBytes(1024 * 1024);
    const content = Buffer.concat(
      Array.from({ length: 256 }, (_, i) => Buffer.concat([block, Buffer.from([i])])),
    );
    writeFileSync(join(detector, 'large.raw'), content);
    const agent = await startAgent('bl8-large');

    const held = await until(
      () => {
        const names = existsSync(staging) ? readdirSync(staging) : [];
        const size =
          names[0] !== undefined && names.length === 1
            ? statSync(join(staging, names[0]), { throwIfNoEntry: false })?.size
            : 0;
        return size !== undefined && size > 0 && size < content.length && size;
      },
      { interval: 5, message: 'the file is being sent' },
    ).catch(() => 0); // the assertion below says what went wrong
    assert.ok(held > 0, 'caught the file being sent');
    await server.kill();
    await startServer();
    await waitForTaken(daqId, 1);
    const resumed = /files\/content\?[^"\s]*offset=([1-9]\d*)/.exec(server.output());
    assert.ok(resumed, `the agent resumed from the bytes held:\n${server.output().slice(-3000)}`);
    await assertStoredOnce('agent-large', new Map([['large.raw', content]]));
    assert.deepEqual(readdirSync(staging), [], 'the staging file became the stored file');
    assert.equal(await agent.stop(), 0, agent.output());
    await call('POST', `/api/v1/daqs/${daqId}/stop`);
  });

  it('copies directly into mounted storage and has the server verify and catalog each file', async () => {
    const { detector, daqId, created } = await setUp('agent-direct', 'bl8-direct');
    const written = new Map<string, Buffer>();
    for (const name of ['a.h5', 'run/b.h5']) {
      mkdirSync(join(detector, name, '..'), { recursive: true });
      const content = randomBytes(100_000);
      written.set(name, content);
      writeFileSync(join(detector, name), content);
    }
    // Its detector, not the whole temp directory, which holds the mounted storage (never an agent's source).
    const agent = await startAgent('bl8-direct', [
      ...['--storage-root', join(root, 'data', 'storage'), '--allow-directory', detector],
    ]);
    await waitForTaken(daqId, 2);
    await assertStoredOnce('agent-direct', written);
    assert.ok(
      !existsSync(join(created.storageDirectory, 'system', 'daq-staging')),
      'nothing was sent over HTTP',
    );
    assert.equal(await agent.stop(), 0, agent.output());
  });
});
