/**
 * What sudo hands the stage: the fixed prelude must give the command back every variable exactly, whatever
 * it holds, and never run any of it as code. Run here without sudo (the service-account test runs it
 * through sudo): the prelude sees what sudo would pass, the DM_JOB_* variables and nothing else.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { stageLaunch, sudoPrelude } from '../src/system/run-as-account.ts';

const account = { name: 'someone', uid: 4_000_001, gid: 4_000_001 };

function throughPrelude(command: string, env: Record<string, string>) {
  const launch = stageLaunch('sudo', account, command, env);
  assert.equal(launch.file, '/usr/bin/sudo');
  assert.deepEqual(launch.args, ['-n', '-u', 'someone', '--', '/bin/sh', '-c', sudoPrelude]);
  for (const name of Object.keys(launch.env)) assert.match(name, /^DM_JOB_(COMMAND|ENV_NAMES|ENV_\w+)$/);
  const argv = launch.args.join(' ');
  for (const value of Object.values(env))
    assert.ok(value.length < 8 || !argv.includes(value), 'no value in the argument list');
  const result = spawnSync('/bin/sh', ['-c', sudoPrelude], { env: launch.env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

it('gives the stage every value exactly, never as code', () => {
  const hostile = [
    '() { :; }; echo pwned',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, as data
    'a;b|c&d`id`$(id)${HOME}\'"\\*?[x]~#!<>',
    'line one\nline two\n',
    ' leading and trailing ',
    '',
    'x'.repeat(100_000),
    ':starts with the prefix',
  ];
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', DM_JOB_ID: '7' };
  hostile.forEach((value, index) => {
    env[`DM_VAR_v${index}`] = value;
  });
  const names = hostile.map((_, index) => `DM_VAR_v${index}`);
  const command = `for n in ${names.join(' ')}; do eval "printf '%s\\\\0' \\"\\$$n\\""; done; printenv DM_JOB_ID`;
  const result = throughPrelude(command, env);
  assert.equal(result.status, 0, result.stderr);
  const parts = result.stdout.split('\0');
  assert.deepEqual(parts.slice(0, hostile.length), hostile);
  assert.equal(parts.at(-1), '7\n');
  assert.doesNotMatch(result.stdout, /^pwned$|uid=\d/m, 'nothing ran');
});

it('leaves none of its own variables to the command', () => {
  const result = throughPrelude('env', { PATH: '/usr/bin:/bin', DM_VAR_a: 'b' });
  assert.equal(result.status, 0, result.stderr);
  assert.doesNotMatch(result.stdout, /DM_JOB_ENV|DM_JOB_COMMAND|dm_name|dm_command/);
  assert.match(result.stdout, /^DM_VAR_a=b$/m);
});

it('refuses a variable name the shell could not hold, before starting anything', () => {
  assert.throws(() => stageLaunch('sudo', account, 'true', { 'BAD-NAME': 'x' }), /BAD-NAME/);
  assert.throws(() => stageLaunch('sudo', account, 'true', { 'A B': 'x' }), /A B/);
});

it('switches directly, or not at all, without sudo', () => {
  assert.deepEqual(stageLaunch('direct', account, 'true', {}), {
    file: '/bin/sh',
    args: ['-c', 'true'],
    env: {},
    uid: account.uid,
    gid: account.gid,
  });
  assert.deepEqual(stageLaunch('none', account, 'true', {}), {
    file: '/bin/sh',
    args: ['-c', 'true'],
    env: {},
  });
  assert.equal(stageLaunch('sudo', undefined, 'true', {}).file, '/bin/sh', 'no account: no switch');
});
