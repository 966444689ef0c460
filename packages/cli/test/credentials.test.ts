import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CredentialsError,
  credentialsPath,
  readCredentials,
  removeCredentials,
  writeCredentials,
} from '../src/credentials.ts';

describe('the stored session', () => {
  const configHome = mkdtempSync(join(tmpdir(), 'dm-credentials-'));
  after(() => rmSync(configHome, { recursive: true, force: true }));
  const file = credentialsPath({ XDG_CONFIG_HOME: configHome });
  const session = { server: 'http://127.0.0.1:8080', username: 'admin', token: 'dm_secret' };

  it('should live under XDG_CONFIG_HOME, or ~/.config when it is unset or relative', () => {
    assert.equal(file, join(configHome, 'photon-dm', 'credentials.json'));
    assert.equal(credentialsPath({}), join(homedir(), '.config', 'photon-dm', 'credentials.json'));
    assert.equal(
      credentialsPath({ XDG_CONFIG_HOME: 'relative' }),
      join(homedir(), '.config', 'photon-dm', 'credentials.json'),
    );
  });

  it('should be readable by its owner only (file 0600, directory 0700), even with a permissive umask', () => {
    const previous = process.umask(0o000);
    try {
      writeCredentials(file, session);
    } finally {
      process.umask(previous);
    }
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(configHome, 'photon-dm')).mode & 0o777, 0o700);
    assert.deepEqual(readCredentials(file), session);
  });

  it('should tighten a directory that already exists', () => {
    const otherHome = join(configHome, 'other');
    mkdirSync(join(otherHome, 'photon-dm'), { recursive: true });
    chmodSync(join(otherHome, 'photon-dm'), 0o755);
    writeCredentials(credentialsPath({ XDG_CONFIG_HOME: otherHome }), session);
    assert.equal(statSync(join(otherHome, 'photon-dm')).mode & 0o777, 0o700);
  });

  it('should replace a session whole, leaving no temporary file behind', () => {
    writeCredentials(file, { ...session, token: 'dm_newer' });
    assert.equal(readCredentials(file)?.token, 'dm_newer');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(configHome, 'photon-dm')), ['credentials.json']);
  });

  it('should explain a damaged file instead of ignoring it', () => {
    writeFileSync(file, '{"server": ');
    assert.throws(() => readCredentials(file), CredentialsError);
    writeFileSync(file, '{"server": "http://x"}');
    assert.throws(() => readCredentials(file), /lacks server, username or token/);
  });

  it('should be gone after removal, and removing twice is harmless', () => {
    assert.equal(removeCredentials(file), true);
    assert.equal(readCredentials(file), undefined);
    assert.equal(removeCredentials(file), false);
  });
});
