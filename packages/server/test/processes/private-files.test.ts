/**
 * The server's own files are private: a start fixes a data directory left world-readable (logging each
 * fix), and refuses one that belongs to another account, saying which path and what to run.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { startServerProcess } from '../support/server-process.ts';
import { type TempDir, tempDir } from '../support/temp-dir.ts';
import { adminPassword } from '../support/test-app.ts';
import { accountIds, ensureUnixAccount, runningAsRoot } from '../support/unix-accounts.ts';

const otherAccount = 'dmtother';
const mode = (path: string) => statSync(path).mode & 0o777;

let scratch: TempDir;
before(async () => {
  scratch = await tempDir('dm-private-files-');
});
after(async () => {
  await scratch.remove();
});

async function serveOnce(dataDir: string) {
  const server = await startServerProcess(['--data-dir', dataDir], { DM_ADMIN_PASSWORD: adminPassword });
  await server.stop();
  return server.output();
}

it('makes a world-readable data directory private at start, and says so', async () => {
  const dataDir = join(scratch.path, 'open');
  await serveOnce(dataDir);
  const database = join(dataDir, 'photon-dm.sqlite');
  assert.equal(mode(dataDir), 0o700);
  assert.equal(mode(database), 0o600);

  // As servers before this one left them, plus a job log of a job without an experiment.
  chmodSync(dataDir, 0o755);
  chmodSync(database, 0o644);
  writeFileSync(join(dataDir, 'admin-password'), 'secret\n', { mode: 0o644 });
  mkdirSync(join(dataDir, 'jobs', '7'), { recursive: true, mode: 0o755 });
  writeFileSync(join(dataDir, 'jobs', '7', 'A-1.log'), 'output\n', { mode: 0o644 });
  chmodSync(join(dataDir, 'admin-password'), 0o644);
  chmodSync(join(dataDir, 'jobs', '7', 'A-1.log'), 0o644);

  const output = await serveOnce(dataDir);
  assert.equal(mode(dataDir), 0o700);
  for (const file of ['photon-dm.sqlite', 'admin-password', 'jobs/7/A-1.log'])
    assert.equal(mode(join(dataDir, file)), 0o600, file);
  assert.equal(mode(join(dataDir, 'jobs', '7')), 0o700);
  assert.match(output, new RegExp(`made ${dataDir} private \\(0700\\)`));
  assert.match(output, new RegExp(`made ${database} private \\(0600\\)`));
  assert.match(output, /made job logs private/);
});

it('refuses to start on a data directory of another account, naming it and the fix', {
  skip: runningAsRoot() ? false : 'needs root to give a directory to another account',
}, async () => {
  ensureUnixAccount(otherAccount);
  const dataDir = join(scratch.path, 'theirs');
  mkdirSync(dataDir, { mode: 0o700 });
  const other = accountIds(otherAccount);
  chownSync(dataDir, other.uid, other.gid);
  await assert.rejects(serveOnce(dataDir), (error: Error) => {
    assert.match(error.message, /server exited with [1-9]/);
    assert.match(error.message, new RegExp(`${dataDir} belongs to ${otherAccount}`));
    assert.match(error.message, new RegExp(`run "chown -R root ${dataDir}" as root`));
    return true;
  });
  assert.equal(statSync(dataDir).uid, other.uid, 'nothing was changed');
});
