/**
 * A beamline directory monitored with `dm daq` while files are written into it, through the real `dm` and a
 * real server: files are taken once they settle, skipped ones never, and the DAQ stops when told or when
 * its duration runs out.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import type { CatalogFile, Daq, Page } from '@photon-dm/client';
import { readUntil } from '../../server/test/support/wait.ts';
import {
  cleanEnv,
  dmBin,
  dmCommands,
  leakedProcesses,
  type ServerProcess,
  startDmServer,
  stopProcess,
} from './dm-process.ts';

const adminPassword = 'daq-admin-password';
const experiment = 'xpcs-1';

describe('DAQs through dm', { timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'dm-cli-daq-'));
  const home = join(root, 'config');
  const beamline = join(root, 'beamline');
  let server: ServerProcess;
  let daqId: number;
  const { dm, ok, json } = dmCommands(home);

  /** `dm daq show ID --json` until `done` holds; fails with the last state seen after `timeoutMs`. */
  async function waitForDaq(id: number, done: (daq: Daq) => boolean, timeoutMs = 30_000): Promise<Daq> {
    const daq = await readUntil(() => json<Daq>(['daq', 'show', String(id)]), done, {
      timeout: timeoutMs,
      interval: 250,
    });
    if (!done(daq))
      assert.fail(`DAQ ${id} did not get there in ${timeoutMs} ms: ${JSON.stringify(daq, null, 2)}`);
    return daq;
  }

  const pathsIn = async (pathGlob?: string): Promise<string[]> => {
    const args = ['file', 'list', '--experiment', experiment];
    const page = await json<Page<CatalogFile>>(pathGlob ? [...args, '--path-glob', pathGlob] : args);
    return page.items.map((file) => file.experimentFilePath);
  };

  before(async () => {
    server = await startDmServer(
      ['--port', '0', '--data-dir', join(root, 'data'), '--log-level', 'warn'],
      cleanEnv({ DM_ADMIN_PASSWORD: adminPassword }),
    );
    await ok(['login', '--server', server.url, '--username', 'admin', '--password-stdin'], {
      input: `${adminPassword}\n`,
    });
    await ok(['station', 'add', '8-ID-I']);
    await ok(['experiment', 'add', experiment, '--station', '8-ID-I']);
    mkdirSync(beamline);
    writeFileSync(join(beamline, 'before.h5'), 'written before the DAQ started');
  });

  after(async () => {
    try {
      if (server) assert.equal(await stopProcess(server.child, 'SIGTERM'), 0);
      assert.deepEqual(leakedProcesses(), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('should take files as the beamline writes them, once they have settled', async () => {
    // A relative directory, as a person types it in the beamline's directory tree.
    const started = await json<Daq>(
      [
        'daq',
        'start',
        '--experiment',
        experiment,
        '--data-directory',
        'beamline',
        // A fraction, as fast detectors need.
        '--settle-time',
        '1.5s',
        '--skip-pattern',
        '*.tmp',
      ],
      { cwd: root },
    );
    daqId = started.id;
    assert.equal(started.dataDirectory, beamline);
    assert.deepEqual(started.skipPatterns, ['*.tmp']);
    assert.equal(started.settleSeconds, 1.5);
    assert.equal(started.stopTime, null, 'no --duration: it runs until stopped');

    writeFileSync(join(beamline, 'frame_1.h5'), Buffer.alloc(1000, 1));
    // A detector's partial file (hidden) and a scratch file (skipped by pattern) must never be taken.
    writeFileSync(join(beamline, '.frame_2.h5.part'), 'half a frame');
    writeFileSync(join(beamline, 'x.tmp'), 'scratch');
    await pause(400); // the detector's pace
    mkdirSync(join(beamline, 'scan-2'));
    writeFileSync(join(beamline, 'scan-2', 'frame_2.h5'), Buffer.alloc(2000, 2));
    // A file still being written, a chunk every 300 ms (less than the settle time), must be taken whole.
    const growing = join(beamline, 'growing.h5');
    writeFileSync(growing, Buffer.alloc(1000, 3));
    for (let chunk = 0; chunk < 5; chunk++) {
      await pause(300); // the detector's pace
      appendFileSync(growing, Buffer.alloc(1000, 3));
    }

    const taken = await waitForDaq(daqId, (daq) => daq.nProcessedFiles >= 4);
    assert.equal(taken.status, 'running');
    assert.equal(taken.nProcessingErrors, 0, JSON.stringify(taken.errors));
    assert.ok(taken.nFiles >= taken.nProcessedFiles);
    assert.deepEqual(await pathsIn(), ['before.h5', 'frame_1.h5', 'growing.h5', 'scan-2/frame_2.h5']);
    const whole = await json<CatalogFile>(['file', 'show', '--experiment', experiment, 'growing.h5']);
    assert.equal(whole.fileSize, 6000);
    assert.equal(whole.originType, 'daq');
  });

  it('should show a DAQ, stop it, and list it as done', async () => {
    const shown = await ok(['daq', 'show', String(daqId)]);
    assert.match(shown.stdout, /status:\s+running/);
    assert.match(shown.stdout, /files:\s+4 taken of \d+ seen/);
    assert.match(shown.stdout, /settleTime:\s+1\.5s/);
    assert.match(shown.stdout, /rate:\s+[\d.]+ files\/s/);

    const stopped = await ok(['daq', 'stop', String(daqId)]);
    assert.match(stopped.stdout, new RegExp(`^daq ${daqId} done: 4 files taken, 0 errors`));
    const done = await json<Daq>(['daq', 'show', String(daqId)]);
    assert.equal(done.status, 'done');
    assert.notEqual(done.endTime, null);

    // Nothing is taken once it is stopped.
    writeFileSync(join(beamline, 'after-stop.h5'), 'too late');
    // Still a fixed wait: a stopped monitor notices the stop at its next lease renewal (within a second),
    // and the CLI shows nothing of the monitor ending that the test could wait for instead.
    await pause(2500);
    assert.equal((await ok(['file', 'count', '--experiment', experiment])).stdout.trim(), '4');

    const listed = await ok(['daq', 'list', '--experiment', experiment]);
    assert.match(listed.stdout, /^ID\s+EXPERIMENT\s+STATUS\s+FILES\s+ERRORS\s+RATE\s+DIRECTORY$/m);
    assert.match(
      listed.stdout,
      new RegExp(`^${daqId}\\s+${experiment}\\s+done\\s+4/\\d+\\s+0\\s+[\\d.]+/s\\s+${beamline}$`, 'm'),
    );
    const running = await json<Page<Daq>>(['daq', 'list', '--status', 'running']);
    assert.deepEqual(running.items, []);
  });

  it('should take only new files with --new-only, and stop by itself after --duration', async () => {
    const run2 = join(root, 'beamline-2');
    mkdirSync(run2);
    const old = join(run2, 'old.h5');
    writeFileSync(old, 'from the previous shift');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(old, anHourAgo, anHourAgo);

    const started = await json<Daq>([
      'daq',
      'start',
      '--experiment',
      experiment,
      '--data-directory',
      run2,
      '--dest-directory',
      'run-2',
      '--settle-time',
      '1s',
      '--new-only',
      // Long enough for the file written below to settle and be taken first, even where each `dm daq show`
      // that sees the DAQ start takes seconds (a loaded machine).
      '--duration',
      '15s',
      // Comma-separated and repeated, as APS' dm-start-daq takes them.
      '--skip-pattern',
      '*.tmp,*.lock',
      '--skip-pattern',
      '.*',
    ]);
    assert.deepEqual(started.skipPatterns, ['*.tmp', '*.lock', '.*']);
    assert.equal(started.newOnly, true);
    assert.notEqual(started.stopTime, null);

    // "New" means newer than the DAQ's start, so write only once it has started.
    await waitForDaq(started.id, (daq) => daq.status !== 'pending');
    // Dated now, newer than the DAQ's start whatever the file system's timestamp granularity.
    writeFileSync(join(run2, 'new.h5'), Buffer.alloc(500, 7));
    utimesSync(join(run2, 'new.h5'), new Date(), new Date());
    writeFileSync(join(run2, 'detector.lock'), '');

    const ended = await waitForDaq(
      started.id,
      (daq) => daq.status !== 'pending' && daq.status !== 'running',
      60_000,
    );
    assert.equal(ended.status, 'done', ended.lastError ?? '');
    assert.equal(ended.nProcessedFiles, 1);
    assert.notEqual(ended.endTime, null);
    assert.deepEqual(await pathsIn('run-2/*'), ['run-2/new.h5']);
  });

  it('should refuse bad command lines with exit code 2', async () => {
    const start = ['daq', 'start', '--experiment', experiment, '--data-directory', beamline];
    const badDuration = await dm([...start, '--duration', '2x']);
    assert.equal(badDuration.code, 2);
    assert.match(badDuration.stderr, /--duration .*like 30s, 5m, 12h, 2d/);
    assert.equal((await dm([...start, '--settle-time', 'soon'])).code, 2);
    assert.equal((await dm([...start, '--duration', '0s'])).code, 2);
    assert.equal((await dm([...start, '--workflow-arg', 'mode=fast'])).code, 2);
    const missing = await dm(['daq', 'start', '--experiment', experiment]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--data-directory/);
    assert.equal((await dm(['daq', 'list', '--status', 'sleeping'])).code, 2);
    assert.equal((await dm(['daq', 'show', 'first'])).code, 2);
    const listed = await json<Page<Daq>>(['daq', 'list']);
    assert.equal(listed.items.length, 2, 'no refused command started a DAQ');
  });

  it("should keep a station's source roots and unix account, shown by dm station show", async () => {
    const added = await ok(['station', 'add-source-root', '8-ID-I', beamline]);
    assert.match(added.stdout, new RegExp(`sourceRoots:\\s+${realpathSync(beamline)}`));
    const refused = await dm(['station', 'add-source-root', '8-ID-I', join(root, 'data')]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /overlaps the (storage root|server's data directory)/);
    const account = await json<{ sourceAccount: string | null; checkedAs: string }>([
      ...['station', 'set-source-account', '8-ID-I', 'nobody'],
    ]);
    assert.deepEqual([account.sourceAccount, account.checkedAs], ['nobody', 'nobody']);
    assert.equal((await dm(['station', 'set-source-account', '8-ID-I', 'daemon'])).code, 1);
    await ok(['station', 'set-source-account', '8-ID-I', '--clear']);
    const shown = await ok(['station', 'show', '8-ID-I']);
    assert.match(shown.stdout, new RegExp(`sourceRoots:\\s+${realpathSync(beamline)}`));
    assert.match(shown.stdout, /sourceAccount:\s+-/);
    const removed = await json<{ sourceRoots: unknown[] }>([
      ...['station', 'remove-source-root', '8-ID-I', realpathSync(beamline)],
    ]);
    assert.deepEqual(removed.sourceRoots, []);
  });

  it('should run a DAQ on a beamline machine with dm daq-agent, until SIGTERM', async () => {
    const run3 = join(root, 'beamline-3');
    mkdirSync(run3);
    writeFileSync(join(run3, 'frame_1.h5'), Buffer.alloc(4000, 9));
    const started = await json<Daq>([
      ...['daq', 'start', '--experiment', experiment, '--data-directory', run3],
      ...['--dest-directory', 'run-3', '--settle-time', '0s', '--agent', 'bl-test'],
    ]);
    assert.equal(started.mode, 'agent');
    assert.equal(started.agentName, 'bl-test');
    assert.match((await ok(['daq', 'show', String(started.id)])).stdout, /monitoredBy:\s+agent bl-test/);

    const badRoot = await dm(['daq-agent', '--name', 'bl-test', '--storage-root', join(root, 'nowhere')]);
    assert.equal(badRoot.code, 2, badRoot.stderr);
    assert.match(badRoot.stderr, /--storage-root .* is not a directory/);

    // An agent reads only what it is allowed: none named is a usage error.
    const unbounded = await dm(['daq-agent', '--name', 'bl-test']);
    assert.equal(unbounded.code, 2, unbounded.stderr);
    assert.match(unbounded.stderr, /--allow-directory/);

    // The session stored by dm login is the agent's token, as for any other command.
    const agentArgs = ['daq-agent', '--name', 'bl-test', '--log-level', 'warn', '--allow-directory', run3];
    const agent = spawn(process.execPath, [dmBin, ...agentArgs], {
      env: cleanEnv({ XDG_CONFIG_HOME: home }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    agent.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    agent.stderr.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    try {
      const taken = await waitForDaq(started.id, (daq) => daq.nProcessedFiles >= 1);
      assert.equal(taken.status, 'running');
      assert.deepEqual(await pathsIn('run-3/*'), ['run-3/frame_1.h5']);
      assert.match(output, new RegExp(`DAQ agent bl-test working for ${server.url} as admin`));
    } finally {
      assert.equal(await stopProcess(agent, 'SIGTERM'), 0, output);
    }
    await ok(['daq', 'stop', String(started.id)]);
  });
});
