/**
 * The usage page in a real browser: after a station's experiment took in a few files, its manager sees them
 * counted for the day and the station, in charts and tables readable on a projector; a scientist has no
 * usage page.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TempDir, tempDir } from '../../server/test/support/temp-dir.ts';
import { browserSkipReason, screenshot } from './support/browser.ts';
import { type Portal, startPortal } from './support/portal.ts';

describe('portal usage', { skip: browserSkipReason() }, () => {
  let portal: Portal;
  let beamline: TempDir;

  before(async () => {
    portal = await startPortal();
    beamline = await tempDir('dm-portal-usage-');
    await portal.user('mia');
    await portal.user('olga');
    await portal.call('POST', '/api/v1/stations', { name: '32-ID-B' });
    await portal.call('POST', '/api/v1/stations', { name: '2-BM' });
    await portal.call('POST', '/api/v1/stations/32-ID-B/managers', { username: 'mia' });
    await portal.call('POST', '/api/v1/experiments', { name: 'tomo-7', station: '32-ID-B', users: ['olga'] });
    await portal.call('POST', '/api/v1/experiments', { name: 'other-station', station: '2-BM' });
    for (const [name, size] of [
      ['proj_0001.tif', 4_000_000],
      ['proj_0002.tif', 4_000_000],
      ['dark.tif', 1_000_000],
    ] as const)
      writeFileSync(join(beamline.path, name), Buffer.alloc(size, 7));
    const upload = await portal.call('POST', '/api/v1/uploads', {
      experiment: 'tomo-7',
      dataDirectory: beamline.path,
    });
    for (let i = 0; i < 600; i++) {
      const shown = await portal.call('GET', `/api/v1/uploads/${upload.id}`);
      if (shown.status === 'done') return;
      assert.ok(['pending', 'running'].includes(shown.status), JSON.stringify(shown));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the upload did not end');
  });
  after(async () => {
    await portal?.close();
    await beamline?.remove();
  });

  it("shows a station manager the day's ingested files for their station, at projector size", async () => {
    const { context, page } = await portal.signedIn('mia');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage' }).waitFor();
    const today = new Date().toISOString().slice(0, 10);
    const perDay = page.getByRole('table', { name: 'Ingested per day and station' });
    const row = perDay.getByRole('row', { name: new RegExp(`${today} 32-ID-B`) });
    await row.waitFor();
    assert.deepEqual(await row.getByRole('cell').allInnerTexts(), [today, '32-ID-B', '3', '9.00 MB']);
    assert.equal(await perDay.getByText('2-BM').count(), 0, "another station's figures are not shown");
    const storage = page.getByRole('table', { name: 'Storage per experiment (largest 50)' });
    await storage.getByRole('row', { name: /tomo-7/ }).waitFor();
    for (const chart of ['Files ingested per day, per station', 'Jobs ended per day, and their success rate'])
      await page.getByRole('img', { name: chart }).locator('canvas').first().waitFor();
    await screenshot(page, 'usage-1920');

    // The period's own answer, not the one already on the page, must still show today's row.
    const lastWeek = page.waitForResponse((response) => /\/api\/v1\/usage\?.*from=/.test(response.url()));
    await page.getByRole('button', { name: 'Last 7 days' }).click();
    await page.waitForURL(/from=/);
    assert.equal((await lastWeek).status(), 200);
    await row.waitFor();
    await page.getByLabel('From').fill(`${Number(today.slice(0, 4)) - 2}${today.slice(4)}`);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('the period is at most 366 days').waitFor();
    assert.equal(await page.getByLabel('From').getAttribute('aria-invalid'), 'true');
    await context.close();
  });

  it('has no usage page for a scientist', async () => {
    const { context, page } = await portal.signedIn('olga');
    assert.equal(await page.getByRole('link', { name: 'Usage' }).count(), 0);
    await page.goto(`${portal.url}/usage`);
    await page.getByText('only admins and station managers may see usage').waitFor();
    await context.close();
  });
});
