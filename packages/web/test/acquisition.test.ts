/**
 * Data acquisition in a real browser: a station manager starts a DAQ from the portal, watches its counters
 * move as the detector writes files (from the event stream, without the page asking again), and stops it;
 * an upload is started with the keyboard alone; a scientist sees the transfers of their experiment but no
 * way to start one, and the API refuses them too.
 */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type TempDir, tempDir } from '../../server/test/support/temp-dir.ts';
import { readUntil } from '../../server/test/support/wait.ts';
import { browserSkipReason, screenshot } from './support/browser.ts';
import { type Portal, startPortal } from './support/portal.ts';

/** Waits (bounded, generously: the machine is shared) until `read` gives what `done` wants. */
async function eventually<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const last = await readUntil(read, done, { timeout: 60_000, interval: 100 });
  if (done(last)) return last;
  throw new Error(`${what}: still ${JSON.stringify(last)}`);
}

const processedFiles = (page: Page, id: number) =>
  page.getByTestId(`daq-${id}`).getByTestId('processed-files').innerText();

describe('portal data acquisition', { skip: browserSkipReason() }, () => {
  let portal: Portal;
  let beamline: TempDir;
  let olgaToken: string;

  before(async () => {
    portal = await startPortal({ env: { DM_DAQ_SETTLE_SECONDS: '0.5' } });
    beamline = await tempDir('dm-portal-beamline-');
    await portal.user('mia');
    olgaToken = await portal.user('olga');
    await portal.call('POST', '/api/v1/stations', { name: '8-ID-I' });
    await portal.call('POST', '/api/v1/stations/8-ID-I/managers', { username: 'mia' });
    // Mia starts transfers: only below the station's source roots, readable by its unix account.
    chmodSync(beamline.path, 0o755);
    await portal.call('PUT', '/api/v1/stations/8-ID-I/source-roots', { path: beamline.path });
    await portal.call('POST', '/api/v1/experiments', {
      name: 'xpcs-live',
      station: '8-ID-I',
      users: ['olga'],
    });
  });
  after(async () => {
    await portal?.close();
    await beamline?.remove();
  });

  it('starts a DAQ whose counters move live as files are written, then stops it', async () => {
    const { context, page } = await portal.signedIn('mia');
    await page.getByRole('link', { name: 'Data acquisition' }).click();
    await page.getByRole('heading', { name: 'Data acquisition' }).waitFor();
    await page.getByRole('button', { name: 'Start a DAQ' }).click();
    const form = page.getByRole('form', { name: 'Start a DAQ' });
    await form.getByLabel('Experiment').selectOption('xpcs-live');
    await page.setViewportSize({ width: 1024, height: 768 });
    await screenshot(page, 'acquisition-start-daq-1024');
    await page.setViewportSize({ width: 1440, height: 900 });
    await form.getByLabel('Data directory').fill(join(beamline.path, 'missing'));
    await form.getByRole('button', { name: 'Start DAQ' }).click();
    const directory = form.getByLabel('Data directory');
    await form.getByText('is not a directory on the server').waitFor();
    assert.equal(await directory.getAttribute('aria-invalid'), 'true', 'the error is next to its field');

    await directory.fill(beamline.path);
    await form.getByLabel('Skip patterns').fill('*.tmp');
    await form.getByRole('button', { name: 'Start DAQ' }).click();
    await form.waitFor({ state: 'detached' });
    const daqs = await portal.call('GET', '/api/v1/daqs?experiment=xpcs-live');
    const id = daqs.items[0].id as number;
    const row = page.getByTestId(`daq-${id}`);
    await row.getByText('running').waitFor({ timeout: 60_000 });

    // From here on the page must learn everything from the event stream: count what it asks.
    const listCalls: string[] = [];
    page.on('request', (request) => {
      if (/\/api\/v1\/(daqs|uploads)/.test(request.url())) listCalls.push(request.url());
    });
    writeFileSync(join(beamline.path, 'frame_0001.tif'), 'a'.repeat(10_000));
    await eventually(
      'the first file',
      () => processedFiles(page, id),
      (text) => text.startsWith('1'),
    );
    writeFileSync(join(beamline.path, 'frame_0002.tif'), 'b'.repeat(20_000));
    writeFileSync(join(beamline.path, 'frame_0003.tif'), 'c'.repeat(30_000));
    writeFileSync(join(beamline.path, 'ignored.tmp'), 'skipped');
    await eventually(
      'three files',
      () => processedFiles(page, id),
      (text) => text.startsWith('3'),
    );
    assert.match(await row.innerText(), /60\.0 kB/, 'the bytes moved with the files');
    assert.deepEqual(listCalls, [], 'the counters came from events, not from asking again');
    await screenshot(page, 'acquisition-running-daq');

    await page.getByRole('button', { name: `Stop DAQ ${id}` }).click();
    const ended = page
      .getByRole('table', { name: 'Recently ended DAQs and uploads' })
      .getByTestId(`daq-${id}`);
    await ended.getByText('done').waitFor();
    assert.equal((await portal.call('GET', `/api/v1/daqs/${id}`)).status, 'done');
    await context.close();
  });

  it('starts an upload with the keyboard alone', async () => {
    writeFileSync(join(beamline.path, 'notes.txt'), 'sample: lysozyme');
    const { context, page } = await portal.signedIn('mia');
    await page.goto(`${portal.url}/acquisition`);
    const open = page.getByRole('button', { name: 'Start an upload' });
    await open.focus();
    await page.keyboard.press('Enter');
    const form = page.getByRole('form', { name: 'Start an upload' });
    await form.waitFor();
    // As a user would, wait until the list of experiments has arrived (the list is disabled until then).
    await form.getByLabel('Experiment').and(page.locator(':enabled')).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(
      await page.locator(':focus').getAttribute('id'),
      await form.getByLabel('Experiment').getAttribute('id'),
      'the form is next in the tab order',
    );
    await page.keyboard.press('ArrowDown');
    await eventually(
      'the experiment chosen by the arrow key',
      () => form.getByLabel('Experiment').inputValue(),
      (value) => value === 'xpcs-live',
    );
    await page.keyboard.press('Tab');
    await page.keyboard.type(beamline.path);
    await page.keyboard.press('Tab');
    await page.keyboard.type('again');
    await page.keyboard.press('Enter');
    await form.waitFor({ state: 'detached' });
    const uploads = await portal.call('GET', '/api/v1/uploads?experiment=xpcs-live');
    const upload = uploads.items[0];
    assert.equal(upload.destDirectory, 'again');
    await page.getByTestId(`upload-${upload.id}`).getByText('done').waitFor({ timeout: 60_000 });
    await context.close();
  });

  it("shows a scientist their experiment's transfers but no start button, and the API refuses them", async () => {
    const { context, page } = await portal.signedIn('olga');
    await page.goto(`${portal.url}/acquisition`);
    await page.getByRole('heading', { name: 'Recently ended' }).waitFor();
    await page.getByText('xpcs-live').first().waitFor();
    assert.equal(await page.getByRole('button', { name: /^Start/ }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Stop/ }).count(), 0);
    const response = await fetch(`${portal.url}/api/v1/daqs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${olgaToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ experiment: 'xpcs-live', dataDirectory: beamline.path }),
    });
    assert.equal(response.status, 403);
    const daqs = await portal.call('GET', '/api/v1/daqs?experiment=xpcs-live&status=running');
    assert.deepEqual(daqs.items, [], 'nothing started');
    await context.close();
  });
});
