import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSettings, SettingsError } from '../src/settings/settings.ts';

describe('settings', () => {
  it('runs on embedded defaults under ./dm-data', () => {
    const settings = loadSettings({ env: {}, cwd: '/srv/beamline' });
    assert.equal(settings.host, '127.0.0.1');
    assert.equal(settings.port, 8080);
    assert.equal(settings.dataDir, '/srv/beamline/dm-data');
    assert.equal(settings.storageRoot, '/srv/beamline/dm-data/storage');
    assert.equal(settings.databaseUrl, 'sqlite:/srv/beamline/dm-data/photon-dm.sqlite');
    assert.equal(settings.sessionTtl, 30 * 86_400_000);
  });

  it('takes flags over DM_* variables over the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dm-settings-'));
    const file = join(dir, 'photon-dm.json');
    writeFileSync(
      file,
      JSON.stringify({ port: 7000, host: '0.0.0.0', logLevel: 'debug', sessionTtl: '12h' }),
    );
    const settings = loadSettings({
      flags: { port: '9000', configFile: file },
      env: {
        DM_PORT: '8000',
        DM_HOST: '127.0.0.2',
        DM_DATABASE_URL: 'postgres://dm:secret@db.example.org/dm',
      },
      cwd: dir,
    });
    assert.equal(settings.port, 9000);
    assert.equal(settings.host, '127.0.0.2');
    assert.equal(settings.logLevel, 'debug');
    assert.equal(settings.sessionTtl, 12 * 3_600_000);
    assert.equal(settings.databaseUrl, 'postgres://dm:secret@db.example.org/dm');
  });

  it('lists every problem at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dm-settings-'));
    const file = join(dir, 'photon-dm.json');
    writeFileSync(file, JSON.stringify({ colour: 'blue' }));
    assert.throws(
      () =>
        loadSettings({
          flags: { port: '99999', configFile: file },
          env: {
            DM_LOG_LEVEL: 'loud',
            DM_SESSION_TTL: 'forever',
            DM_DATABASE_URL: 'mysql://x',
            DM_ADMIN_PASSWORD: 'short',
          },
        }),
      (error: unknown) => {
        assert.ok(error instanceof SettingsError);
        assert.equal(error.problems.length, 6, error.message);
        for (const text of [
          '--port',
          'DM_LOG_LEVEL',
          'DM_SESSION_TTL',
          'DM_DATABASE_URL',
          'DM_ADMIN_PASSWORD',
          'colour',
        ]) {
          assert.ok(error.message.includes(text), `mentions ${text}`);
        }
        return true;
      },
    );
  });

  it('reports a missing or broken config file', () => {
    assert.throws(
      () => loadSettings({ flags: { configFile: '/nonexistent/dm.json' }, env: {} }),
      /does not exist/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'dm-settings-'));
    writeFileSync(join(dir, 'bad.json'), '{port: 1');
    assert.throws(
      () => loadSettings({ flags: { configFile: join(dir, 'bad.json') }, env: {} }),
      /not valid JSON/,
    );
  });

  it('rescans DAQ directories every 15 s and watches them unless told not to', () => {
    const defaults = loadSettings({ env: {} });
    assert.equal(defaults.daqRescanSeconds, 15);
    assert.equal(defaults.daqWatch, true);
    const given = loadSettings({ env: { DM_DAQ_RESCAN_SECONDS: '2.5', DM_DAQ_WATCH: 'no' } });
    assert.equal(given.daqRescanSeconds, 2.5);
    assert.equal(given.daqWatch, false);
    assert.throws(
      () => loadSettings({ env: { DM_DAQ_RESCAN_SECONDS: '0', DM_DAQ_WATCH: 'maybe' } }),
      (error: unknown) =>
        error instanceof SettingsError &&
        error.problems.length === 2 &&
        error.message.includes('DM_DAQ_WATCH: "maybe" is not yes or no'),
    );
  });

  it('refuses a session lifetime past ten years, which no expiry date could hold', () => {
    assert.equal(loadSettings({ env: { DM_SESSION_TTL: '3650d' } }).sessionTtl, 3650 * 86_400_000);
    assert.throws(
      () => loadSettings({ env: { DM_SESSION_TTL: '99999999999w' } }),
      (error: unknown) =>
        error instanceof SettingsError &&
        error.message.includes('DM_SESSION_TTL: "99999999999w" is longer than 3650d'),
    );
  });

  it('runs stages as an unprivileged account, never as root unless allowed, switching as the server can', () => {
    const defaults = loadSettings({ env: {} });
    assert.equal(defaults.stageSwitch, process.getuid?.() === 0 ? 'direct' : 'none');
    assert.equal(defaults.stageAccount, 'nobody');
    assert.equal(defaults.allowRootStages, false);
    assert.equal(defaults.minStageUid, 1000);
    assert.deepEqual(defaults.forbiddenAccounts, []);
    const given = loadSettings({
      env: {
        DM_STAGE_SWITCH: 'sudo',
        DM_STAGE_ACCOUNT: 'dmstage',
        DM_ALLOW_ROOT_STAGES: 'yes',
        DM_MIN_STAGE_UID: '500',
        DM_FORBIDDEN_ACCOUNTS: 'dmsvc, backup',
      },
    });
    assert.equal(given.stageSwitch, 'sudo');
    assert.equal(given.stageAccount, 'dmstage');
    assert.equal(given.allowRootStages, true);
    assert.equal(given.minStageUid, 500);
    assert.deepEqual(given.forbiddenAccounts, ['dmsvc', 'backup']);
    assert.throws(
      () =>
        loadSettings({
          env: { DM_STAGE_SWITCH: 'setuid', DM_STAGE_ACCOUNT: '-x', DM_FORBIDDEN_ACCOUNTS: 'ok,b a d' },
        }),
      (error: unknown) =>
        error instanceof SettingsError &&
        error.problems.length === 3 &&
        error.message.includes('DM_STAGE_SWITCH: "setuid" is not one of direct, sudo, none'),
    );
  });

  it('takes a fractional DAQ settle time, for detectors whose files are complete within a second', () => {
    assert.equal(loadSettings({ env: {} }).daqSettleSeconds, 5);
    assert.equal(loadSettings({ env: { DM_DAQ_SETTLE_SECONDS: '0.5' } }).daqSettleSeconds, 0.5);
    assert.equal(loadSettings({ flags: { daqSettleSeconds: '2.25' }, env: {} }).daqSettleSeconds, 2.25);
    assert.equal(loadSettings({ env: { DM_DAQ_SETTLE_SECONDS: '0' } }).daqSettleSeconds, 0);
    for (const bad of ['-0.5', 'soon', 'Infinity', 'NaN', '1e3', '0x10', '3600.5', '1,5']) {
      assert.throws(
        () => loadSettings({ env: { DM_DAQ_SETTLE_SECONDS: bad } }),
        (error: unknown) =>
          error instanceof SettingsError &&
          error.problems.length === 1 &&
          error.message.includes(`DM_DAQ_SETTLE_SECONDS: "${bad}" is not a number from 0 to 3600`),
        bad,
      );
    }
  });

  it('takes the age of leftover temp files in whole minutes, at least one', () => {
    assert.equal(loadSettings({ env: {} }).partialFileMaxAgeMinutes, 60);
    assert.equal(
      loadSettings({ env: { DM_PARTIAL_FILE_MAX_AGE_MINUTES: '240' } }).partialFileMaxAgeMinutes,
      240,
    );
    for (const bad of ['0', '1.5', 'hour'])
      assert.throws(
        () => loadSettings({ env: { DM_PARTIAL_FILE_MAX_AGE_MINUTES: bad } }),
        /DM_PARTIAL_FILE_MAX_AGE_MINUTES/,
      );
  });

  it('sweeps leftover temp files once an hour unless told otherwise, in whole minutes', () => {
    assert.equal(loadSettings({ env: {} }).partialSweepMinutes, 60);
    assert.equal(loadSettings({ env: { DM_PARTIAL_SWEEP_MINUTES: '720' } }).partialSweepMinutes, 720);
    for (const bad of ['0', '2.5', 'daily'])
      assert.throws(
        () => loadSettings({ env: { DM_PARTIAL_SWEEP_MINUTES: bad } }),
        /DM_PARTIAL_SWEEP_MINUTES/,
      );
  });
});
