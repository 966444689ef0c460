import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SiteUnavailableError } from './adapter.ts';
import { createLocalCommandRunner, serverEnvironment } from './commands.ts';

describe('the local command runner', () => {
  const runner = createLocalCommandRunner();

  it('should give the exit status, stdout and stderr of a command, and feed it its input', async () => {
    const result = await runner.run(['bash', '-c', 'cat; echo "to stderr" >&2; exit 3'], {
      input: 'a $(b) `c`\n',
    });
    assert.deepEqual(result, { code: 3, stdout: 'a $(b) `c`\n', stderr: 'to stderr\n' });
  });

  it('should pass arguments as they are, with no shell between', async () => {
    const result = await runner.run(['printf', '%s|', 'x; touch y', '$(id)', '*']);
    assert.equal(result.stdout, 'x; touch y|$(id)|*|');
  });

  it("should add a command's variables to the base environment, which holds no DM_* setting", async () => {
    process.env.DM_SECRET_FOR_TEST = 'hidden';
    try {
      assert.equal(serverEnvironment().DM_SECRET_FOR_TEST, undefined);
      const result = await createLocalCommandRunner().run(
        ['bash', '-c', 'echo "[$DM_SECRET_FOR_TEST] $EXTRA"'],
        {
          env: { EXTRA: 'given' },
        },
      );
      assert.equal(result.stdout, '[] given\n');
    } finally {
      delete process.env.DM_SECRET_FOR_TEST;
    }
  });

  it('should count a signal as 128 + its number', async () => {
    assert.equal((await runner.run(['bash', '-c', 'kill -TERM $$'])).code, 143);
  });

  it('should count a missing program, or a command over its time, as the site being unavailable', async () => {
    await assert.rejects(runner.run(['/no/such/program']), SiteUnavailableError);
    const slow = createLocalCommandRunner({ timeoutMs: 200 });
    await assert.rejects(slow.run(['sleep', '30']), (error: unknown) => {
      assert.ok(error instanceof SiteUnavailableError);
      assert.match(error.message, /did not end within 0.2 s/);
      return true;
    });
  });

  it('should refuse more output than it keeps', async () => {
    const small = createLocalCommandRunner({ maxOutputBytes: 1000 });
    await assert.rejects(small.run(['seq', '1', '100000']), (error: unknown) => {
      assert.ok(error instanceof Error && !(error instanceof SiteUnavailableError));
      assert.match(error.message, /printed more than the runner keeps/);
      return true;
    });
  });
});
