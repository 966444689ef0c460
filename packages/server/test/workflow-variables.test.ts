// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} is the workflows' variable syntax
/**
 * `$name` and `${name}` in stage commands: the job engine fills them in before the shell sees the command.
 * What is not a workflow variable is left for the shell, and a misspelt variable fails loudly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  referencedVariables,
  substituteVariables,
  UnknownVariableError,
} from '../src/workflows/variables.ts';

const job: Record<string, string> = {
  id: '6a1f',
  filePath: '/data/2026-3/scan_0001.h5',
  file: 'NOT THIS ONE',
  timeStamp: '20261121223344',
  md5Sum: 'd41d8cd98f00b204e9800998ecf8427e',
  quote: `it's "x"`,
};
const lookup = (name: string) => (Object.hasOwn(job, name) ? job[name] : undefined);

describe('workflow variables', () => {
  it('fills in the commands of the APS example', () => {
    assert.equal(
      substituteVariables('/bin/echo "START JOB ID: $id" > /tmp/workflow.$timeStamp/$id.out', lookup),
      '/bin/echo "START JOB ID: 6a1f" > /tmp/workflow.20261121223344/6a1f.out',
    );
    assert.equal(
      substituteVariables('echo "FILE $filePath MD5 SUM: $md5Sum"', lookup),
      'echo "FILE /data/2026-3/scan_0001.h5 MD5 SUM: d41d8cd98f00b204e9800998ecf8427e"',
    );
  });

  it('takes the longest name, or exactly the braced one', () => {
    assert.equal(substituteVariables('$filePath', lookup), '/data/2026-3/scan_0001.h5', 'not $file + "Path"');
    assert.equal(substituteVariables('${file}Path', lookup), 'NOT THIS ONEPath');
    assert.equal(substituteVariables('$id.out $id-2 $id/x', lookup), '6a1f.out 6a1f-2 6a1f/x');
    assert.throws(() => substituteVariables('$idx', lookup), { variable: 'idx' });
  });

  it('leaves shell syntax alone', () => {
    const shell = 'echo $1 $$ $? $(date) $((1+2)) ${#x} "$" cost: 5$ ${ $';
    assert.equal(substituteVariables(shell, lookup), shell);
    assert.deepEqual(referencedVariables(shell), []);
  });

  it('turns \\$name into $name for the shell', () => {
    assert.equal(substituteVariables('echo \\$HOME \\${USER} $id', lookup), 'echo $HOME ${USER} 6a1f');
    assert.equal(
      substituteVariables('echo \\$1', lookup),
      'echo \\$1',
      'only a backslash before a name is an escape',
    );
  });

  it('fails on an unknown variable, naming it', () => {
    assert.throws(
      () => substituteVariables('rm -rf $dataDir/tmp', lookup),
      (error: unknown) =>
        error instanceof UnknownVariableError &&
        error.variable === 'dataDir' &&
        error.message === "unknown variable '$dataDir'",
    );
    assert.throws(() => substituteVariables('cd $HOME', lookup), { variable: 'HOME' });
  });

  it('puts values in as they are, quotes and dollars included', () => {
    assert.equal(substituteVariables('[$quote]', lookup), `[it's "x"]`);
    assert.equal(
      substituteVariables('$a$b', (name) => ({ a: '$b', b: '$a' })[name]),
      '$b$a',
      'values are not substituted again',
    );
  });

  it('lists the variables a template uses, once each, in order', () => {
    assert.deepEqual(referencedVariables('cp $filePath ${dataDirectory}/$filePath.bak \\$HOME'), [
      'filePath',
      'dataDirectory',
    ]);
  });
});
