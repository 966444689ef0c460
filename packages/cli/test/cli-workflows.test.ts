/**
 * Workflow definitions through the real `dm` and a real server: the APS example file unchanged, a YAML file
 * and an APS `--py-spec` Python file stored, shown and listed; every problem of a broken file listed at once;
 * and deleting only when confirmed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page, Workflow, WorkflowValidation } from '@photon-dm/client';
import { apsExamplePath } from '../../server/test/support/fixtures.ts';
import {
  cleanEnv,
  dmCommands,
  leakedProcesses,
  type ServerProcess,
  startDmServer,
  stopProcess,
} from './dm-process.ts';
import { ensureUnixAccount } from './unix-account.ts';

const adminPassword = 'workflow-admin-password';
const apsExample = apsExamplePath;

const yamlWorkflow = `# reduce one scan
name: reduce
owner: admin
description: XPCS reduction
stages:
  02-REDUCE:
    command: echo reducing $filePath
  01-PREPARE:
    command: date +%s
    outputVariableRegexList: ['(?P<started>\\d+)']
`;

const pythonWorkflow = `# An APS --py-spec file: a Python dict, read as data, never run
workflow = {
    'name': 'from-python',
    'owner': 'admin',
    'stages': {
        '01-HELLO': {'command': 'echo "hello $who"'},   # a comment
        '02-BYE': {'command': '/bin/echo bye', },
    },
}
`;

// Three mistakes a scientist makes at once: a misspelt key, a missing command, an unbalanced regex.
const brokenWorkflow = `name: broken
owner: admin
stages:
  01-A:
    comand: echo a
  02-B:
    command: echo b
    outputVariableRegexList: ['(?P<x>[0-9]+']
`;

describe('workflows through dm', { timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'dm-cli-workflows-'));
  const home = join(root, 'config');
  let server: ServerProcess;
  const { dm, ok, json } = dmCommands(home);
  const file = (name: string, text: string) => {
    const path = join(root, name);
    writeFileSync(path, text);
    return path;
  };

  before(async () => {
    server = await startDmServer(
      ['--port', '0', '--data-dir', join(root, 'data'), '--log-level', 'warn'],
      cleanEnv({ DM_ADMIN_PASSWORD: adminPassword }),
    );
    await ok(['login', '--server', server.url, '--username', 'admin', '--password-stdin'], {
      input: `${adminPassword}\n`,
    });
  });

  after(async () => {
    try {
      if (server) assert.equal(await stopProcess(server.child, 'SIGTERM'), 0);
      assert.deepEqual(leakedProcesses(), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  const noAccount = ensureUnixAccount('s25idcuser');
  it('should store the APS example workflow unchanged, and a new revision on each upsert', {
    skip: noAccount ?? false,
  }, async () => {
    // Its userAccount must be on a station's list; admins may then upsert it, its station's managers too.
    await ok(['station', 'add', '25-ID-C']);
    const added = await ok(['station', 'add-account', '25-ID-C', 's25idcuser']);
    assert.equal(added.stdout, 'station 25-ID-C runs workflows as: s25idcuser\n');
    assert.match((await ok(['station', 'show', '25-ID-C'])).stdout, /^accounts: +s25idcuser$/m);
    const system = await dm(['station', 'add-account', '25-ID-C', 'daemon']);
    assert.equal(system.code, 1);
    assert.match(system.stderr, /system account/);
    const first = await ok(['workflow', 'upsert', '--file', apsExample]);
    assert.equal(first.stdout, 'workflow s25idcuser/example-01 revision 1 stored\n');
    const second = await json<Workflow>(['workflow', 'upsert', '--file', apsExample]);
    assert.equal(second.revision, 2);
    assert.equal(second.userAccount, 's25idcuser');

    const shown = await ok(['workflow', 'show', 'example-01', '--owner', 's25idcuser']);
    assert.match(shown.stdout, /^revision: +2$/m);
    const stageLines = shown.stdout.slice(shown.stdout.indexOf('STAGE')).trim().split('\n');
    assert.deepEqual(
      stageLines.map((line) => line.split(/ {2,}/)[0]),
      ['STAGE', '01-START', '02-MKDIR', '03-ECHO', '04-MD5SUM', '05-ECHO', '06-DONE'],
    );
    assert.match(stageLines[4] ?? '', /\/bin\/md5sum \$filePath \| cut -f1 -d" "$/);

    const mine = await json<Page<Workflow>>(['workflow', 'list', '--owner', 's25idcuser']);
    assert.deepEqual(
      mine.items.map((w) => `${w.owner}/${w.name}@${w.revision}`),
      ['s25idcuser/example-01@2'],
    );
  });

  it('should store a YAML file and a Python --py-spec file, in your own name space by default', async () => {
    await ok(['workflow', 'upsert', '--file', file('reduce.yaml', yamlWorkflow)]);
    const reduce = await json<Workflow>(['workflow', 'show', 'reduce']);
    assert.equal(reduce.owner, 'admin');
    assert.deepEqual(reduce.stages['01-PREPARE']?.outputVariableRegexList, ['(?P<started>\\d+)']);

    const stored = await ok(['workflow', 'upsert', '--py-spec', file('from-python.spec', pythonWorkflow)]);
    assert.equal(stored.stdout, 'workflow admin/from-python revision 1 stored\n');
    const fromPython = await json<Workflow>(['workflow', 'show', 'from-python', '--owner', 'admin']);
    assert.deepEqual(fromPython.stages, {
      '01-HELLO': { command: 'echo "hello $who"' },
      '02-BYE': { command: '/bin/echo bye' },
    });

    const list = await ok(['workflow', 'list', '--owner', 'admin']);
    assert.match(list.stdout, /^admin +from-python +1 +2 /m);
    assert.match(list.stdout, /^admin +reduce +1 +2 .*XPCS reduction$/m);
  });

  it('should list every problem of a broken file at once, and exit 1', async () => {
    const broken = file('broken.yml', brokenWorkflow);
    const checked = await dm(['workflow', 'validate', '--file', broken]);
    assert.equal(checked.code, 1, checked.stderr);
    assert.match(checked.stdout, /^invalid: [3-9] problems$/m);
    assert.match(
      checked.stdout,
      /^ {2}stages\.01-A\.comand: unknown key 'comand' \(did you mean 'command'\?\)$/m,
    );
    assert.match(checked.stdout, /^ {2}stages\.01-A\.command: is required$/m);
    assert.match(checked.stdout, /^ {2}stages\.02-B\.outputVariableRegexList\[0\]: invalid regex/m);

    const validation = JSON.parse((await dm(['workflow', 'validate', '--file', broken, '--json'])).stdout);
    assert.equal((validation as WorkflowValidation).valid, false);

    const refused = await dm(['workflow', 'upsert', '--file', broken]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /comand/);
    assert.equal((await dm(['workflow', 'show', 'broken'])).code, 1, 'nothing stored');

    const good = await ok(['workflow', 'validate', '--file', file('good.yaml', yamlWorkflow)]);
    assert.equal(good.stdout, 'valid; stages run in this order: 01-PREPARE, 02-REDUCE\n');
  });

  it('should refuse a file it cannot tell the format of, or none at all, as usage errors', async () => {
    const text = await dm(['workflow', 'upsert', '--file', file('w.txt', yamlWorkflow)]);
    assert.equal(text.code, 2);
    assert.match(text.stderr, /--py-spec/);
    assert.equal((await dm(['workflow', 'upsert'])).code, 2);
    const missing = await dm(['workflow', 'upsert', '--file', join(root, 'nowhere.json')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read/);
  });

  it('should delete a workflow only when confirmed', async () => {
    await ok([
      'workflow',
      'upsert',
      '--file',
      file('doomed.yaml', yamlWorkflow.replace('name: reduce', 'name: doomed')),
    ]);
    const unconfirmed = await dm(['workflow', 'delete', 'doomed']);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /--yes/);
    await ok(['workflow', 'show', 'doomed']);

    assert.equal(
      (await ok(['workflow', 'delete', 'doomed', '--yes'])).stdout,
      'Deleted workflow admin/doomed\n',
    );
    const gone = await dm(['workflow', 'show', 'doomed']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no workflow "doomed" of owner "admin"/);
  });
});
