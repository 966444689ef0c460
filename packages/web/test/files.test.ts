/**
 * The file browser in a real browser against a real server: files a DAQ takes appear as they are cataloged
 * (the live event stream, no reload), a metadata filter narrows the list and the count and stays in the URL,
 * the keyboard opens a file's panel with its HDF5 content as a tree and its user metadata editable, and
 * downloads (one file, a selection as a tar) carry exactly the cataloged bytes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import h5wasm from 'h5wasm/node';
import type { Page } from 'playwright-core';
import { type TempDir, tempDir } from '../../server/test/support/temp-dir.ts';
import { browserSkipReason, screenshot } from './support/browser.ts';
import { type Portal, startPortal } from './support/portal.ts';

const experiment = 'files-e2e';
const filesUrl = (portal: Portal, query = '') => `${portal.url}/experiments/${experiment}/files${query}`;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Waits, as a person would, until the page says `text` (bounded generously: the machine is loaded). */
async function waitForCount(page: Page, text: string) {
  await page.getByTestId('file-count').filter({ hasText: text }).waitFor({ timeout: 60_000 });
}

async function writeNexus(path: string) {
  await h5wasm.ready;
  const nexus = new h5wasm.File(path, 'w');
  try {
    const entry = nexus.create_group('entry');
    entry.create_attribute('NX_class', 'NXentry');
    entry.create_dataset({ name: 'title', data: 'lysozyme dynamics' });
    const sample = entry.create_group('sample');
    sample.create_attribute('NX_class', 'NXsample');
    sample.create_dataset({ name: 'temperature', data: 295.5 });
    const data = entry.create_group('data');
    data.create_dataset({ name: 'frames', data: new Uint16Array(10 * 64 * 64), shape: [10, 64, 64] });
  } finally {
    nexus.close();
  }
}

describe('portal file browser', { skip: browserSkipReason() }, () => {
  let portal: Portal;
  let detector: TempDir;
  let page: Page;

  before(async () => {
    portal = await startPortal();
    detector = await tempDir('dm-portal-detector-');
    await portal.call('POST', '/api/v1/stations', { name: 'bl-files' });
    await portal.call('POST', '/api/v1/experiments', { name: experiment, station: 'bl-files' });
    await portal.user('fiona');
    await portal.call('POST', `/api/v1/experiments/${experiment}/users`, { username: 'fiona', role: 'user' });
    ({ page } = await portal.signedIn('fiona'));
  });
  after(async () => {
    await portal?.close();
    await detector?.remove();
  });

  it('shows files arriving through a DAQ as they are cataloged, without a reload', async () => {
    await page.goto(filesUrl(portal));
    await waitForCount(page, '0 files match');
    const daq = await portal.call('POST', '/api/v1/daqs', {
      experiment,
      dataDirectory: detector.path,
      settleSeconds: 0.3,
    });
    mkdirSync(join(detector.path, 'scan_1'));
    writeFileSync(join(detector.path, 'scan_1', 'frame_0001.bin'), Buffer.alloc(3000, 1));
    writeFileSync(join(detector.path, 'scan_1', 'frame_0002.bin'), Buffer.alloc(5000, 2));
    await writeNexus(join(detector.path, 'scan_1', 'master.h5'));
    writeFileSync(join(detector.path, 'notes.txt'), 'beam dump at 10:04\n');

    for (const path of ['scan_1/frame_0001.bin', 'scan_1/frame_0002.bin', 'scan_1/master.h5', 'notes.txt'])
      await page.getByRole('button', { name: path, exact: true }).waitFor({ timeout: 60_000 });
    await waitForCount(page, '4 files match');
    await portal.call('POST', `/api/v1/daqs/${daq.id}/stop`);
  });

  it('narrows the list and the count by a metadata filter kept in the URL', async () => {
    for (const path of ['scan_1/frame_0001.bin', 'scan_1/master.h5'])
      await portal.call('PATCH', `/api/v1/experiments/${experiment}/file?path=${path}`, {
        metadata: { sample: 'lysozyme' },
      });
    await page.goto(filesUrl(portal));
    await waitForCount(page, '4 files match');
    await page.getByLabel('Metadata key').fill('sample');
    await page.getByLabel('Operator').selectOption('=');
    await page.getByLabel('Value').fill('lysozyme');
    await page.getByRole('button', { name: 'Add filter' }).click();
    await waitForCount(page, '2 files match');
    await page.getByRole('button', { name: 'scan_1/frame_0002.bin' }).waitFor({ state: 'detached' });
    assert.equal(await page.locator('tbody tr').count(), 2);
    assert.match(page.url(), /where=sample%3Dlysozyme/);

    await page.getByLabel('Path glob').fill('scan_*/*.h5');
    await page.getByRole('button', { name: 'Apply' }).click();
    await waitForCount(page, '1 file matches');
    await screenshot(page, 'files-browser-filters');

    await page.reload();
    await waitForCount(page, '1 file matches');
    await page.getByRole('button', { name: 'Remove filter sample=lysozyme' }).click();
    await page.getByLabel('Path glob').fill('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await waitForCount(page, '4 files match');
    assert.doesNotMatch(page.url(), /where=|glob=/);
  });

  it('opens a file from the keyboard: its HDF5 content as a tree, its user metadata editable', async () => {
    await page.goto(filesUrl(portal));
    await waitForCount(page, '4 files match');
    const grid = page.getByRole('grid', { name: 'Files' });
    await grid.focus();
    // Sorted by path: notes.txt, scan_1/frame_0001.bin, scan_1/frame_0002.bin, scan_1/master.h5.
    for (let i = 0; i < 3; i++) await grid.press('ArrowDown');
    await grid.press('Enter');
    const panel = page.getByRole('complementary', { name: 'master.h5' });
    await panel.waitFor();
    assert.match(page.url(), /file=scan_1%2Fmaster\.h5/);
    await panel.getByText('lysozyme dynamics').waitFor();
    const content = await panel.locator('.metadata-tree').innerText();
    assert.match(content, /@NX_class=NXentry/);
    assert.match(content, /temperature = 295\.5/);
    assert.match(content, /frames \[10 × 64 × 64\] uint16/);
    assert.match(await panel.innerText(), /daq \d+/, 'the panel says which DAQ brought the file');

    await panel.getByLabel('Key').fill('quality');
    await panel.getByLabel('New value').fill('0.93');
    await panel.getByRole('button', { name: 'Set' }).click();
    await panel.getByRole('button', { name: 'Remove quality' }).waitFor();
    const stored = await portal.call('GET', `/api/v1/experiments/${experiment}/file?path=scan_1/master.h5`);
    assert.equal(stored.metadata.quality, 0.93, 'a number typed is stored as a number');
    await screenshot(page, 'files-panel-hdf5');
    await panel.getByRole('button', { name: 'Close' }).click();
    await panel.waitFor({ state: 'detached' });
    assert.equal(await grid.evaluate((element) => element === element.ownerDocument.activeElement), true);
    await grid.press('Enter');
    await panel.waitFor();
    await page.setViewportSize({ width: 1024, height: 768 });
    await panel.getByText('lysozyme dynamics').waitFor();
    await screenshot(page, 'files-panel-narrow');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await screenshot(page, 'files-panel-projector');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('downloads one file and a selection through signed links, with the cataloged bytes', async () => {
    await page.goto(filesUrl(portal, `?file=${encodeURIComponent('scan_1/frame_0002.bin')}`));
    const panel = page.getByRole('complementary', { name: 'frame_0002.bin' });
    await panel.getByText('SHA-256').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      panel.getByRole('button', { name: 'Download' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'frame_0002.bin');
    const bytes = readFileSync(await download.path());
    const record = await portal.call(
      'GET',
      `/api/v1/experiments/${experiment}/file?path=scan_1/frame_0002.bin`,
    );
    assert.equal(sha256(bytes), record.sha256Sum);
    assert.equal(bytes.length, 5000);

    await page.getByRole('checkbox', { name: 'Select scan_1/frame_0001.bin' }).check();
    await page.getByRole('checkbox', { name: 'Select notes.txt' }).check();
    const [archive] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      page.getByRole('button', { name: 'Download selected (2)' }).click(),
    ]);
    assert.equal(archive.suggestedFilename(), `${experiment}.tar`);
    const tar = readFileSync(await archive.path());
    assert.ok(tar.includes(Buffer.from(`${experiment}/notes.txt`)), 'the archive holds the selected files');
    assert.ok(tar.includes(Buffer.from('beam dump at 10:04')));
  });

  it('keeps another experiment closed to a user who is not a member', async () => {
    await portal.call('POST', '/api/v1/experiments', { name: 'not-fionas', station: 'bl-files' });
    await page.goto(`${portal.url}/experiments/not-fionas/files`);
    await page.getByRole('alert').filter({ hasText: 'no experiment "not-fionas"' }).first().waitFor();
    assert.equal(await page.locator('tbody tr').count(), 0);
  });
});
