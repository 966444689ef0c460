/**
 * An editor checks a workflow as it is typed (`POST /workflows/validate`): every problem with its path, and
 * for a file's text the definition as read, so the portal can show an uploaded APS `.py` spec as JSON.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

const pythonSpec = `# an APS --py-spec file
workflow = {
    'name': 'py-editor',
    'owner': 'admin',
    'stages': {
        '02-LIST': {'command': 'ls $dir', 'runIf': "'$dir' != ''"},
        '01-START': {'command': '/bin/date', 'retries': -1, 'env': None},
    },
}
`;

describeBackends('workflow validation for editors', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(backend);
  });
  after(() => t.close());

  const validate = (body: unknown) => t.call('POST', '/api/v1/workflows/validate', { body });

  it('reads a Python spec as data and returns it with its problems, executing nothing', async () => {
    const response = await validate({ format: 'python', text: pythonSpec });
    assert.equal(response.status, 200);
    assert.equal(response.body.valid, false);
    assert.deepEqual(response.body.problems, [
      { path: 'stages.01-START.retries', message: 'must be at least 0, not -1' },
    ]);
    assert.deepEqual(response.body.definition, {
      name: 'py-editor',
      owner: 'admin',
      stages: {
        '02-LIST': { command: 'ls $dir', runIf: "'$dir' != ''" },
        '01-START': { command: '/bin/date', retries: -1, env: null },
      },
    });
  });

  it('returns the stage order of a valid text, and no definition for a syntax error or a JSON body', async () => {
    const valid = await validate({
      format: 'yaml',
      text: 'name: y\nowner: admin\nstages:\n  b: {command: date}\n  a: {command: ls}\n',
    });
    assert.equal(valid.body.valid, true, JSON.stringify(valid.body));
    assert.deepEqual(valid.body.stageOrder, ['a', 'b']);
    assert.equal(valid.body.definition.stages.b.command, 'date');

    const broken = await validate({ format: 'json', text: '{"name": "x",\n  "owner": }' });
    assert.equal(broken.body.valid, false);
    assert.match(broken.body.problems[0].message, /JSON syntax error at line 2/);
    assert.equal(broken.body.definition, undefined);

    const object = await validate({
      definition: { name: 'x', owner: 'admin', stages: { a: { command: 'ls' } } },
    });
    assert.equal(object.body.valid, true);
    assert.equal(object.body.definition, undefined);
  });
});
