import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseHost, shellQuote, sshArguments } from './ssh-runner.ts';

describe('ssh runner', () => {
  it('reads USER@HOST[:PORT] and refuses anything else', () => {
    assert.deepEqual(parseHost('svc@polaris.alcf.anl.gov:2222'), {
      user: 'svc',
      host: 'polaris.alcf.anl.gov',
      port: 2222,
    });
    assert.deepEqual(parseHost('login.example.org'), { host: 'login.example.org' });
    for (const bad of ['', 'a b', 'u@', '@h', 'h:port', 'u@h@i'])
      assert.throws(() => parseHost(bad), /not USER@HOST\[:PORT\]/, bad);
  });

  it('asks ssh for no prompt, pinned host keys and the given key only', () => {
    const args = sshArguments({ host: 'svc@h:22', identityFile: '/k', knownHostsFile: '/d/known' });
    assert.deepEqual(args.slice(-6), ['-p', '22', '-l', 'svc', '--', 'h']);
    for (const option of ['BatchMode=yes', 'StrictHostKeyChecking=accept-new', 'UserKnownHostsFile=/d/known'])
      assert.ok(args.includes(option), option);
    assert.deepEqual(args.slice(args.indexOf('-i'), args.indexOf('-i') + 4), [
      '-i',
      '/k',
      '-o',
      'IdentitiesOnly=yes',
    ]);
  });

  it('quotes any argument so that a POSIX shell reads it back unchanged (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }).filter((text) => !text.includes('\0')),
        (text) => {
          const echoed = execFileSync('sh', ['-c', `printf %s ${shellQuote(text)}`], { encoding: 'utf8' });
          assert.equal(echoed, text);
        },
      ),
      { numRuns: 150 },
    );
  });
});
