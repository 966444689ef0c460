/**
 * `dm events` against a real server: it replays what happened, follows what happens next, prints one
 * JSON object per line with --json, and stops after --count events or on Ctrl-C.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PublishedEvent, Upload } from '@photon-dm/client';
import {
  cleanEnv,
  dmBin,
  dmCommands,
  leakedProcesses,
  type ServerProcess,
  startDmServer,
  stopProcess,
} from './dm-process.ts';

const adminPassword = 'events-admin-password';

describe('dm events', { timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'dm-cli-events-'));
  const home = join(root, 'config');
  let server: ServerProcess;
  let upload: Upload;
  const { dm, ok, json } = dmCommands(home);

  before(async () => {
    server = await startDmServer(
      ['--port', '0', '--data-dir', join(root, 'data'), '--log-level', 'warn'],
      cleanEnv({ DM_ADMIN_PASSWORD: adminPassword }),
    );
    await ok(['login', '--server', server.url, '--username', 'admin', '--password-stdin'], {
      input: `${adminPassword}\n`,
    });
    await ok(['station', 'add', '8-ID-I']);
    await ok(['experiment', 'add', 'xpcs-ev', '--station', '8-ID-I']);
    mkdirSync(join(root, 'run'));
    writeFileSync(join(root, 'run', 'a.h5'), 'some data');
    upload = await json<Upload>([
      'upload',
      '--experiment',
      'xpcs-ev',
      '--data-directory',
      join(root, 'run'),
      '--wait',
    ]);
  });

  after(async () => {
    try {
      if (server) assert.equal(await stopProcess(server.child, 'SIGTERM'), 0);
      assert.deepEqual(leakedProcesses(), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('should replay the stored events, then follow new ones live, one JSON object per line', async () => {
    const following = dm([
      'events',
      '--json',
      '--after',
      '0',
      '--type',
      'upload.status',
      '--type',
      'daq.status',
      '--count',
      '4',
    ]);
    const daq = await json<{ id: number }>([
      'daq',
      'start',
      '--experiment',
      'xpcs-ev',
      '--data-directory',
      join(root, 'run'),
    ]);
    const result = await following;
    assert.equal(result.code, 0, result.stderr);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as PublishedEvent<'upload.status' | 'daq.status'>);
    assert.deepEqual(
      events.map((event) => [event.type, event.subjectId, event.payload.status]),
      [
        ['upload.status', String(upload.id), 'pending'],
        ['upload.status', String(upload.id), 'running'],
        ['upload.status', String(upload.id), 'done'],
        ['daq.status', String(daq.id), 'pending'],
      ],
    );
    await ok(['daq', 'stop', String(daq.id)]);
  });

  it('should print a line per event for people', async () => {
    const { stdout } = await ok([
      'events',
      '--after',
      '0',
      '--experiment',
      'xpcs-ev',
      '--type',
      'file.cataloged',
      '--count',
      '1',
    ]);
    assert.match(
      stdout,
      /^\S+Z {2}file\.cataloged {2}xpcs-ev {2}a\.h5 {2}path=a\.h5 size=9 md5=\w+ origin=\{"type":"upload","id":\d+\}\n$/,
    );
  });

  it('should stop on Ctrl-C with exit code 0', async () => {
    const child = spawn(process.execPath, [dmBin, 'events'], {
      env: cleanEnv({ XDG_CONFIG_HOME: home }),
      stdio: 'pipe',
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const deadline = Date.now() + 60_000;
    while (!stderr.includes('Ctrl-C stops') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(stderr, /following events of http/);
    assert.equal(await stopProcess(child, 'SIGINT'), 0, stderr);
  });

  it('should report a bad filter with the server’s message and exit 1', async () => {
    const result = await dm(['events', '--type', 'daq.nonsense']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /types: unknown event type "daq\.nonsense"/);
  });
});
