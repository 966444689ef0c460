/**
 * Following jobs in the portal: a job started from its workflow's page is followed live to `done` (its
 * status, stages and log change on the page without a reload, and in the jobs list too); a failed job is
 * resubmitted from its failed stage, and the new job and the original link to each other.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkipReason, screenshot } from './support/browser.ts';
import { type Portal, startPortal } from './support/portal.ts';

const waitLong = { timeout: 120_000 };

/** Marks the page; the mark survives only if the page is never reloaded. */
async function markPage(page: Page): Promise<void> {
  await page.evaluate('window.__notReloaded = true');
}
async function stillSamePage(page: Page): Promise<boolean> {
  return (await page.evaluate('window.__notReloaded === true')) as boolean;
}

describe('portal jobs, live', { skip: browserSkipReason() }, () => {
  let portal: Portal;
  before(async () => {
    // Stages run as the server itself (a personal installation), so they see this test's temp files.
    portal = await startPortal({ env: { DM_STAGE_SWITCH: 'none' } });
  });
  after(() => portal?.close());

  it('starts a job from its workflow and follows it live to done, in its page and in the list', async () => {
    const go = join(portal.dataDir.path, 'go');
    await portal.call('POST', '/api/v1/workflows', {
      definition: {
        name: 'greet',
        owner: 'admin',
        description: 'Waits for a go, then greets',
        stages: {
          '01-WAIT': {
            command: `echo waiting for go; while [ ! -e ${go} ]; do sleep 0.2; done; echo got go`,
          },
          '02-GREET': { command: 'echo "hello $greeting"' },
        },
      },
    });
    const { context, page } = await portal.signedIn('admin');
    // A second tab of the same browser: signed in by the session the first one stored.
    const list = await context.newPage();
    await list.goto(`${portal.url}/jobs`);
    await list.getByRole('heading', { name: 'Jobs' }).waitFor(waitLong);
    await list.getByText('No jobs match.').waitFor(waitLong);
    await markPage(list);

    await page.goto(`${portal.url}/workflows/admin/greet`);
    await page.getByLabel('Arguments').fill('greeting=world');
    await page.getByRole('button', { name: 'Start job' }).click();
    await page.waitForURL(/\/jobs\/\d+$/, waitLong);
    const id = Number(/\/jobs\/(\d+)$/.exec(page.url())?.[1]);
    assert.ok(id > 0, `a job's page: ${page.url()}`);
    await markPage(page);

    const heading = page.getByRole('heading', { level: 1 });
    await page.getByRole('heading', { name: `Job #${id} running` }).waitFor(waitLong);
    // The log follows the running stage.
    const log = page.getByRole('log', { name: 'Job log' });
    await log.getByText('waiting for go').waitFor(waitLong);
    const row = list.locator(`tr[data-job-id="${id}"]`);
    await row.getByText('running').waitFor(waitLong);
    assert.match(await row.innerText(), /admin\/greet/);

    writeFileSync(go, '');
    await page.getByRole('heading', { name: `Job #${id} done` }).waitFor(waitLong);
    await log.getByText('hello world').waitFor(waitLong);
    assert.match(await log.innerText(), /── 01-WAIT #\d+ ──\nwaiting for go\ngot go/);
    await row.getByText('done').waitFor(waitLong);
    assert.ok(await stillSamePage(page), 'the job page was not reloaded');
    assert.ok(await stillSamePage(list), 'the list was not reloaded');
    assert.match(await heading.innerText(), /done/);

    const timeline = page.getByRole('list', { name: 'Stage timeline' });
    const greet = timeline.locator('[data-stage="02-GREET"]');
    await greet.getByText('echo "hello world"').waitFor(waitLong); // the command as substituted
    assert.match(await greet.innerText(), /done/);
    assert.match(await page.locator('dl.facts').nth(1).innerText(), /\$greeting\s+world/);
    await page.getByRole('log', { name: 'Job log' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'job-detail-timeline-log');

    await list.getByLabel('Status').selectOption('failed');
    await list.getByText('No jobs match.').waitFor(waitLong);
    await list.getByLabel('Status').selectOption('done');
    await list.locator(`tr[data-job-id="${id}"]`).waitFor(waitLong);
    await list.getByLabel('Status').selectOption('');
    await screenshot(list, 'jobs-list');
    await context.close();
  });

  it('stops a running job from its page', async () => {
    await portal.call('POST', '/api/v1/workflows', {
      definition: {
        name: 'sleepy',
        owner: 'admin',
        stages: { '01-SLEEP': { command: 'echo sleeping; sleep 600' } },
      },
    });
    const started = await portal.call('POST', '/api/v1/jobs', { workflow: 'sleepy' });
    const { context, page } = await portal.signedIn('admin');
    await page.goto(`${portal.url}/jobs/${started.id}`);
    await page.getByRole('log', { name: 'Job log' }).getByText('sleeping').waitFor(waitLong);
    await page.getByRole('button', { name: 'Stop job' }).click();
    await page.getByRole('heading', { name: `Job #${started.id} aborted` }).waitFor(waitLong);
    await page.getByRole('button', { name: 'Resubmit', exact: true }).waitFor(waitLong);
    await context.close();
  });

  it('resubmits a failed job from its failed stage; the new job and the original link to each other', async () => {
    const fixed = join(portal.dataDir.path, 'fixed');
    await portal.call('POST', '/api/v1/workflows', {
      definition: {
        name: 'flaky',
        owner: 'admin',
        stages: {
          '01-PREP': { command: 'echo prepared' },
          '02-CHECK': { command: `test -e ${fixed} || { echo "not fixed yet" >&2; exit 3; }` },
          '03-END': { command: 'echo finished' },
        },
      },
    });
    const failed = await portal.call('POST', '/api/v1/jobs', { workflow: 'flaky' });
    const { context, page } = await portal.signedIn('admin');
    await page.goto(`${portal.url}/jobs/${failed.id}`);
    await page.getByRole('heading', { name: `Job #${failed.id} failed` }).waitFor(waitLong);
    const check = page.locator('[data-stage="02-CHECK"]');
    assert.match(await check.innerText(), /failed/);
    assert.match(await check.locator('table').innerText(), /\b3\b/); // its exit status
    assert.match(await page.locator('[data-stage="03-END"]').innerText(), /not run/);
    assert.equal(await page.getByLabel('From stage').inputValue(), '02-CHECK');

    writeFileSync(fixed, '');
    await page.getByRole('button', { name: 'Resubmit from stage' }).click();
    await page.waitForURL(
      (url) => /\/jobs\/\d+$/.test(url.pathname) && !url.pathname.endsWith(`/${failed.id}`),
      waitLong,
    );
    const id = Number(/\/jobs\/(\d+)$/.exec(page.url())?.[1]);
    assert.ok(id > 0, `a job's page: ${page.url()}`);
    await page.getByRole('heading', { name: `Job #${id} done` }).waitFor(waitLong);
    const back = page.getByRole('link', { name: `job #${failed.id}` });
    assert.match(await back.locator('..').innerText(), /at stage 02-CHECK/);
    const job = await portal.call('GET', `/api/v1/jobs/${id}`);
    assert.equal(job.resubmittedFrom, failed.id);
    assert.equal(job.fromStage, '02-CHECK');
    assert.equal(job.stages['01-PREP'], undefined, 'the stage before was not run again');

    await back.click();
    await page.getByRole('heading', { name: `Job #${failed.id} failed` }).waitFor(waitLong);
    await page.getByRole('link', { name: `job #${id}` }).waitFor(waitLong);
    await context.close();
  });
});
