/**
 * Experiments in the portal, in a real browser against a real server: a station manager registers an
 * experiment by keyboard and is told a taken name next to the name field, adds a user (and is told an
 * unknown one next to the member field); that user finds it under "my experiments" and sees its people,
 * storage, files and jobs; nobody opens an experiment that is not theirs by typing its URL.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { type TempDir, tempDir } from '../../server/test/support/temp-dir.ts';
import { until } from '../../server/test/support/wait.ts';
import { browserSkipReason, screenshot } from './support/browser.ts';
import { type Portal, startPortal } from './support/portal.ts';

/** The text of the error the field's aria-describedby points to (what a screen reader reads with it). */
async function errorOf(page: Page, field: Locator): Promise<string> {
  await until(async () => (await field.getAttribute('aria-invalid')) === 'true', {
    interval: 100,
    message: 'the field is marked invalid',
  });
  const describedBy = (await field.getAttribute('aria-describedby')) ?? '';
  return page.locator(`[id="${describedBy.split(' ')[0]}"]`).innerText();
}

async function rowsShown(page: Page, count: number): Promise<void> {
  const rows = page.locator('table.experiment-table tbody tr');
  await until(async () => (await rows.count()) === count, {
    interval: 100,
    message: `${count} rows are shown`,
  });
}

describe('portal experiments', { skip: browserSkipReason() }, () => {
  let portal: Portal;
  // Beside the server's data directory, not in it: no upload or DAQ may read the server's own files.
  let sources: TempDir;
  before(async () => {
    portal = await startPortal();
    sources = await tempDir('dm-portal-sources-');
    await portal.user('manny');
    await portal.user('alice');
    await portal.user('olga');
    await portal.call('POST', '/api/v1/stations', { name: '8-ID-I', description: 'XPCS' });
    await portal.call('POST', '/api/v1/stations', { name: '2-BM', description: 'Tomography' });
    await portal.call('POST', '/api/v1/stations/8-ID-I/managers', { username: 'manny' });
    await portal.call('POST', '/api/v1/experiments', {
      name: 'secret-2bm',
      station: '2-BM',
      description: 'Someone else’s battery study',
      pi: 'olga',
      startDate: '2026-10-01',
    });
  });
  after(async () => {
    await portal?.close();
    await sources?.remove();
  });

  it('lets a manager create an experiment by keyboard, saying a taken name next to the name field', async () => {
    const { context, page } = await portal.signedIn('manny');
    await page.getByRole('link', { name: 'New experiment' }).waitFor();
    await page.goto(`${portal.url}/experiments/new`);
    await page.getByRole('heading', { name: 'New experiment' }).waitFor();
    // Keyboard only: the skip link, then the first field of the form.
    const focused = page.locator(':focus');
    await page.keyboard.press('Tab');
    assert.equal(await focused.innerText(), 'Skip to content');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    const name = page.getByLabel('Name', { exact: true });
    assert.equal(
      await focused.getAttribute('id'),
      await name.getAttribute('id'),
      'Tab reaches the name field',
    );
    await page.keyboard.type('secret-2bm');
    // As a user would, wait until the stations have arrived (the list and the button are disabled until then).
    await page.getByLabel('Station').and(page.locator(':enabled')).waitFor();
    await page.keyboard.press('Enter');
    assert.match(await errorOf(page, name), /experiment "secret-2bm" already exists/);
    await screenshot(page, 'experiment-new-error');

    await name.fill('xpcs-2026-1');
    await page.getByLabel('Description').fill('Dynamics of colloids in confinement');
    await page.getByLabel('PI', { exact: true }).fill('manny');
    await page.getByLabel('Start date').fill('2026-11-20');
    await name.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/experiments\/xpcs-2026-1$/, { timeout: 30_000 });
    await page.getByRole('heading', { name: /xpcs-2026-1/ }).waitFor();

    const member = page.getByLabel('Member username');
    await member.fill('ghost');
    await page.getByRole('button', { name: 'Add member' }).click();
    assert.match(await errorOf(page, member), /no user "ghost"/);
    await member.fill('alice');
    await member.press('Enter');
    const people = page.getByRole('region', { name: 'People' });
    await people.getByRole('cell', { name: 'alice', exact: true }).waitFor();
    assert.equal(await member.getAttribute('aria-invalid'), null, 'the error went away');
    await page.setViewportSize({ width: 1024, height: 768 });
    await screenshot(page, 'experiment-detail-manager-1024');

    await page.getByRole('button', { name: 'Start experiment' }).click();
    await page.getByRole('button', { name: 'Stop experiment' }).waitFor();
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.getByLabel('Description').fill('Dynamics of colloids, second run');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Dynamics of colloids, second run').waitFor();
    await context.close();
  });

  it('shows the new member the experiment under "my experiments", with its data, people and jobs', async () => {
    const beamline = join(sources.path, 'beamline');
    mkdirSync(beamline, { recursive: true });
    writeFileSync(join(beamline, 'frame_0001.tif'), 'a'.repeat(1_500_000));
    writeFileSync(join(beamline, 'frame_0002.tif'), 'b'.repeat(2_500_000));
    const upload = await portal.call('POST', '/api/v1/uploads', {
      experiment: 'xpcs-2026-1',
      dataDirectory: beamline,
    });
    await until(
      async () => {
        const shown = await portal.call('GET', `/api/v1/uploads/${upload.id}`);
        if (shown.status === 'done') return true;
        assert.ok(['pending', 'running'].includes(shown.status), JSON.stringify(shown));
        return false;
      },
      { timeout: 60_000, interval: 100 },
    ).catch((error) => {
      // As before, only a failed upload fails here; one still running after a minute is left to what follows.
      if (error instanceof assert.AssertionError) throw error;
    });

    const { context, page } = await portal.signedIn('alice');
    await page.getByRole('heading', { name: 'Experiments' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'New experiment' }).count(), 0, 'not staff');
    await page.getByLabel('My experiments').check();
    await page.waitForURL(/mine=1/);
    const link = page.getByRole('link', { name: 'xpcs-2026-1' });
    await link.waitFor();
    assert.equal(await page.getByRole('link', { name: 'secret-2bm' }).count(), 0);
    await link.click();

    await page.getByRole('heading', { name: /xpcs-2026-1/ }).waitFor();
    await page.getByTestId('file-count').filter({ hasText: '2' }).waitFor();
    assert.equal(await page.getByTestId('file-volume').innerText(), '4.00 MB');
    const browse = page.getByRole('link', { name: 'Browse files' });
    assert.equal(await browse.getAttribute('href'), '/experiments/xpcs-2026-1/files');
    const people = page.getByRole('region', { name: 'People' });
    assert.match(await people.innerText(), /manny\s+PI/);
    assert.match(await people.innerText(), /alice\s+user/);
    assert.equal(await page.getByRole('button', { name: 'Add member' }).count(), 0, 'members do not manage');
    assert.match(
      await page.getByRole('region', { name: 'Data', exact: true }).innerText(),
      /xpcs-2026-1\/data/,
    );
    const daqs = page.getByRole('region', { name: 'Data acquisition' });
    await daqs.getByText('No DAQs for this experiment.').waitFor();
    const detector = join(sources.path, 'detector');
    mkdirSync(detector, { recursive: true });
    const daq = await portal.call('POST', '/api/v1/daqs', {
      experiment: 'xpcs-2026-1',
      dataDirectory: detector,
    });
    await daqs.getByRole('cell', { name: `#${daq.id}` }).waitFor({ timeout: 30_000 });
    assert.match(await daqs.innerText(), /detector/);
    await portal.call('POST', `/api/v1/daqs/${daq.id}/stop`);

    // A job started meanwhile appears in "Recent jobs" from the event stream, without a reload.
    const jobs = page.getByRole('region', { name: 'Recent jobs' });
    await jobs.getByText('No jobs yet.').waitFor();
    await portal.call('POST', '/api/v1/workflows', {
      definition: { name: 'checksum', owner: 'admin', stages: { '01-SUM': { command: 'echo summed' } } },
    });
    const job = await portal.call('POST', '/api/v1/jobs', {
      workflow: 'checksum',
      experiment: 'xpcs-2026-1',
    });
    await jobs.getByRole('link', { name: `#${job.id}` }).waitFor({ timeout: 30_000 });
    assert.equal(await jobs.getByRole('cell', { name: 'checksum' }).count(), 1);
    await screenshot(page, 'experiment-detail');
    await context.close();
  });

  it('shows a user who is not a member the not-found page for another experiment, by URL', async () => {
    const { context, page } = await portal.signedIn('alice');
    await page.goto(`${portal.url}/experiments/secret-2bm`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    assert.equal(await page.getByText('Someone else’s battery study').count(), 0);
    await page.goto(`${portal.url}/experiments/secret-2bm/edit`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    await page.goto(`${portal.url}/experiments/new`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    await context.close();
  });

  it('filters and sorts the list from the URL and pages with "load more"', async () => {
    for (let i = 1; i <= 55; i++) {
      await portal.call('POST', '/api/v1/experiments', {
        name: `bulk-${String(i).padStart(3, '0')}`,
        station: '2-BM',
        startDate: `2026-0${1 + (i % 9)}-01`,
      });
    }
    const { context, page } = await portal.signedIn('admin');
    await page.goto(`${portal.url}/experiments?station=8-ID-I`);
    await page.getByRole('link', { name: 'xpcs-2026-1' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'secret-2bm' }).count(), 0);
    assert.equal(await page.getByLabel('Station').inputValue(), '8-ID-I');

    await page.getByLabel('Station').selectOption('');
    // The URL changes before the page renders again, and a header's link is made from the URL it rendered
    // with: clicked before, it would bring the station (or the previous order) back. Wait, as a user would,
    // for the list to show what was asked.
    await page.waitForURL((url) => !url.searchParams.has('station'));
    await rowsShown(page, 50);
    await page.getByRole('link', { name: /^Start/ }).click();
    await page.waitForURL(/sort=startDate/);
    await page.locator('th[aria-sort="ascending"]', { hasText: 'Start' }).waitFor();
    await page.getByRole('link', { name: /^Start/ }).click();
    await page.waitForURL(/sort=-startDate/);
    await page.locator('th[aria-sort="descending"]', { hasText: 'Start' }).waitFor();
    const rows = page.locator('table.experiment-table tbody tr');
    await until(async () => /xpcs-2026-1/.test(await rows.first().innerText()), {
      interval: 100,
      message: 'the latest start comes first',
    });
    await rowsShown(page, 50);
    await screenshot(page, 'experiment-list');
    await page.getByRole('button', { name: 'Load more' }).click();
    await rowsShown(page, 57);
    assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0, 'the last page');

    await page.getByLabel('Search').fill('colloids');
    await page.getByLabel('Search').press('Enter');
    await page.waitForURL(/search=colloids/);
    await rowsShown(page, 1);
    await context.close();
  });
});
