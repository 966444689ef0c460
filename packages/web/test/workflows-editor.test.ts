/**
 * Writing workflows in the portal: the editor checks the text as it is typed and shows each problem at the
 * line of the key it concerns, the preview lists the stages in the order they run, a fixed workflow saves;
 * the APS example workflow loads into the editor byte for byte, and a `.py` spec comes in as JSON.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureUnixAccount, runningAsRoot } from '../../server/test/support/unix-accounts.ts';
import { browserSkipReason, screenshot } from './support/browser.ts';
import { type Portal, startPortal } from './support/portal.ts';

const fixturePath = new URL('../../server/test/fixtures/aps-workflows/example-01.json', import.meta.url);
const waitLong = { timeout: 60_000 };

/** Replaces the editor's whole text, as a paste would. */
async function typeInEditor(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Workflow definition' }).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
}

/** The editor's lines as shown (CodeMirror draws one element per line; an empty one holds a <br>). */
async function editorLines(page: Page): Promise<string[]> {
  const lines = await page.locator('.cm-content .cm-line').allInnerTexts();
  return lines.map((line) => (line === '\n' ? '' : line));
}

function definitionWith(retries: number): string {
  return `${JSON.stringify(
    {
      name: 'portal-md5',
      owner: 'admin',
      description: 'Checksums, written in the portal',
      stages: {
        '02-SUM': { command: 'md5sum $filePath', retries, runIf: "'$filePath' != ''" },
        '01-START': { command: '/bin/date', outputVariableRegexList: ['(?P<startedAt>.*)'] },
        '03-REPEAT': { command: 'ls', repeatPeriod: 1, repeatUntil: "'$x' == 'y'", maxRepeats: 3 },
      },
    },
    null,
    2,
  )}\n`;
}

describe('portal workflow editor', { skip: browserSkipReason() }, () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal();
  });
  after(() => portal?.close());

  it('shows a validation error inline at its key and under the editor, then saves once it is fixed', async () => {
    const { context, page } = await portal.signedIn('admin');
    await page.goto(`${portal.url}/workflows`);
    await page.getByRole('link', { name: 'New workflow' }).click();
    await page.getByRole('heading', { name: 'New workflow' }).waitFor(waitLong);

    const broken = definitionWith(-1);
    await typeInEditor(page, broken);
    const retriesLine = broken.split('\n').findIndex((line) => line.includes('"retries"')) + 1;
    const problem = page.locator('.problem-list li', { hasText: 'stages.02-SUM.retries' });
    await problem.waitFor(waitLong);
    assert.match(
      await problem.innerText(),
      new RegExp(`Line ${retriesLine}\\b.*must be at least 0, not -1`, 's'),
    );
    // Inline: the key's line is underlined and marked in the gutter, and only that line.
    const marked = page
      .locator('.cm-content .cm-line')
      .nth(retriesLine - 1)
      .locator('.cm-lintRange-error');
    await marked.waitFor(waitLong);
    assert.match(await marked.first().innerText(), /retries/);
    assert.equal(await page.locator('.cm-content .cm-lintRange-error').count(), 1);
    assert.equal(await page.locator('.cm-lint-marker-error').count(), 1);
    await screenshot(page, 'workflow-editor-inline-error');

    // The problem's "Line" button takes the keyboard user to it.
    await problem.getByRole('button', { name: `Line ${retriesLine}` }).click();
    await page.locator('.cm-content:focus').waitFor(waitLong);

    // The preview: stages in sorted key order, with what conditions them.
    const preview = page.getByRole('list', { name: 'Stage preview' });
    const items = await preview.locator(':scope > li').allInnerTexts();
    assert.deepEqual(
      items.map((item) => item.split('\n')[0]?.split(/\s/)[0]),
      ['01-START', '02-SUM', '03-REPEAT'],
    );
    assert.match(items[0] ?? '', /captures \$startedAt/);
    assert.match(items[1] ?? '', /runs if '\$filePath' != ''/);
    assert.match(items[2] ?? '', /repeats every 1 s until '\$x' == 'y', at most 3 times/);

    await typeInEditor(page, definitionWith(2));
    await page.getByText('No problems: the workflow is valid.').waitFor(waitLong);
    assert.equal(await page.locator('.cm-content .cm-lintRange-error').count(), 0);
    await screenshot(page, 'workflow-editor-stage-preview');

    // Switching to YAML converts the text; it is checked and saved as YAML.
    await page.getByLabel('Format').selectOption('yaml');
    await page.locator('.cm-content .cm-line', { hasText: 'name: portal-md5' }).waitFor(waitLong);
    await page.getByText('No problems: the workflow is valid.').waitFor(waitLong);

    await page.getByRole('button', { name: 'Save workflow' }).click();
    await page.waitForURL(/\/workflows\/admin\/portal-md5$/, waitLong);
    await page.getByRole('heading', { name: 'admin/portal-md5' }).waitFor(waitLong);
    const saved = await portal.call('GET', '/api/v1/workflows/admin/portal-md5');
    assert.equal(saved.stages['02-SUM'].retries, 2);
    assert.equal(saved.revision, 1);
    await context.close();
  });

  it('shows what the save refused at its place, and edits keep every revision', async () => {
    const { context, page } = await portal.signedIn('admin');
    await page.goto(`${portal.url}/workflows/admin/portal-md5`);
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Edit admin/portal-md5' }).waitFor(waitLong);
    // Save at once, before the check as you type has answered: the server's refusal is placed too.
    const text = definitionWith(2).replace('"/bin/date"', '""');
    await typeInEditor(page, text);
    await page.getByRole('button', { name: 'Save workflow' }).click();
    const problem = page.locator('.problem-list li', { hasText: 'stages.01-START.command' });
    await problem.waitFor(waitLong);
    const line = text.split('\n').findIndex((l) => l.includes('"command": ""')) + 1;
    assert.match(await problem.innerText(), new RegExp(`Line ${line}\\b`));

    await typeInEditor(page, definitionWith(5));
    await page.getByText('No problems: the workflow is valid.').waitFor(waitLong);
    await page.getByRole('button', { name: 'Save workflow' }).click();
    await page.waitForURL(/\/workflows\/admin\/portal-md5$/, waitLong);
    const history = page.getByLabel('Revision history');
    await history
      .locator('option', { hasText: 'Revision 2 (current)' })
      .waitFor({ state: 'attached', ...waitLong });
    await history.selectOption('1');
    await page.getByText('(the current one is 2)').waitFor(waitLong);
    await page.getByRole('list', { name: 'Stages' }).getByText('2 retries').waitFor(waitLong);
    await screenshot(page, 'workflow-view-revision-1');

    // A narrow screen (1024 px) stacks the preview under the editor.
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByText('No problems: the workflow is valid.').waitFor(waitLong);
    await screenshot(page, 'workflow-editor-1024');
    await context.close();
  });

  it('loads the APS example workflow into the editor unchanged, and a .py spec as JSON', async () => {
    const fixture = readFileSync(fixturePath, 'utf8');
    if (runningAsRoot()) {
      ensureUnixAccount('s25idcuser');
      // Its userAccount must be on a station's list (docs/workflows.md) before anyone may upsert it.
      await portal.call('POST', '/api/v1/stations', { name: '25-ID-C' });
      await portal.call('PUT', '/api/v1/stations/25-ID-C/accounts/s25idcuser');
    }
    const { context, page } = await portal.signedIn('admin');
    await page.goto(`${portal.url}/workflows/new`);
    await page.getByLabel('Load a file').setInputFiles(fixturePath.pathname);
    await page.locator('.cm-content .cm-line', { hasText: '06-DONE' }).waitFor(waitLong);
    assert.deepEqual(await editorLines(page), fixture.split('\n'));
    assert.equal(await page.getByLabel('Format').inputValue(), 'json');
    const stages = await page
      .getByRole('list', { name: 'Stage preview' })
      .locator(':scope > li')
      .allInnerTexts();
    assert.deepEqual(
      stages.map((s) => s.split(/\s/)[0]),
      ['01-START', '02-MKDIR', '03-ECHO', '04-MD5SUM', '05-ECHO', '06-DONE'],
    );
    if (runningAsRoot()) {
      await page.getByText('No problems: the workflow is valid.').waitFor(waitLong);
      await page.getByRole('button', { name: 'Save workflow' }).click();
      await page.waitForURL(/\/workflows\/s25idcuser\/example-01$/, waitLong);
      const saved = await portal.call('GET', '/api/v1/workflows/s25idcuser/example-01');
      assert.deepEqual(saved.stages, JSON.parse(fixture).stages);
    }

    const spec = join(portal.dataDir.path, 'spec.py');
    writeFileSync(
      spec,
      "# dm-upsert-workflow --py-spec\nworkflow = {'name': 'from-py', 'owner': 'admin',\n  'stages': {'01-HELLO': {'command': 'echo hello'}}}\n",
    );
    await page.goto(`${portal.url}/workflows/new`);
    await page.getByLabel('Load a file').setInputFiles(spec);
    await page.locator('.cm-content .cm-line', { hasText: '"from-py"' }).waitFor(waitLong);
    assert.deepEqual(JSON.parse((await editorLines(page)).join('\n')), {
      name: 'from-py',
      owner: 'admin',
      stages: { '01-HELLO': { command: 'echo hello' } },
    });
    await context.close();
  });
});
