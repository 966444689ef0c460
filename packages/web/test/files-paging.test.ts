/**
 * The file browser keeps loading pages when a refresh comes in the middle of one. A refresh (the event
 * stream connected, or a file was cataloged) supersedes the page being loaded and may end with exactly as
 * many rows as before; the list must then ask for the next page again by itself. It once stopped for good
 * there (the 100,000-file scroll stalled when the machine was loaded and the stream connected late): the
 * steps are forced here in that order by holding the requests.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page, Route } from 'playwright-core';
import { openDatabase } from '../../server/src/db/connection.ts';
import { putFile } from '../../server/test/support/catalog-records.ts';
import { until } from '../../server/test/support/wait.ts';
import { browserSkipReason } from './support/browser.ts';
import { type Portal, startPortal } from './support/portal.ts';

const experiment = 'files-paging';
/** More than a page (500), so that End at the first page's last row asks for a second. */
const records = 600;

/** Requests held until `release()`, then sent on, and those after it sent at once. */
function held(): { count(): number; hold(route: Route): void; release(): Promise<void> } {
  const routes: Route[] = [];
  let released = false;
  return {
    count: () => routes.length,
    hold: (route) => void (released ? route.continue() : routes.push(route)),
    release: async () => {
      released = true;
      for (const route of routes) await route.continue();
    },
  };
}

async function loadedText(page: Page): Promise<string> {
  return (await page.locator('.file-browser .toolbar .muted').textContent()) ?? '';
}

describe('portal file browser paging', { skip: browserSkipReason() }, () => {
  let portal: Portal;

  before(async () => {
    portal = await startPortal();
    await portal.call('POST', '/api/v1/stations', { name: 'bl-paging' });
    const created = await portal.call('POST', '/api/v1/experiments', {
      name: experiment,
      station: 'bl-paging',
    });
    const handle = openDatabase({
      url: `sqlite:${join(portal.dataDir.path, 'photon-dm.sqlite')}`,
      poolSize: 1,
    });
    try {
      for (let n = 0; n < records; n++)
        await putFile(handle, created.id, `scan/frame_${String(n).padStart(4, '0')}.h5`, { n });
    } finally {
      await handle.close();
    }
  });
  after(() => portal?.close());

  it('loads the next page by itself after a refresh superseded it', async () => {
    const { context, page } = await portal.signedIn('admin');
    const stream = held();
    const nextPage = held();
    await page.route('**/api/v1/events?**', stream.hold);
    await page.route(
      (url) => url.pathname.endsWith('/files') && url.searchParams.has('cursor'),
      nextPage.hold,
    );
    await page.goto(`${portal.url}/experiments/${experiment}/files`);
    const grid = page.getByRole('grid', { name: 'Files' });
    await page.getByTestId('file-count').filter({ hasText: '600 files match' }).waitFor({ timeout: 60_000 });
    await until(async () => (await loadedText(page)) === '500 loaded', { message: 'the first page' });
    await until(() => stream.count() === 1, { message: 'the event stream asked for' });

    // End at the last loaded row asks for the second page, which is held.
    await grid.focus();
    await grid.press('End');
    await until(() => nextPage.count() === 1, { message: 'the second page asked for' });
    // The stream connects: the browser refreshes the first 500 rows, which supersedes the second page.
    const refreshed = page.waitForResponse(
      (response) => response.url().includes('/files?') && !response.url().includes('cursor='),
    );
    await stream.release();
    await refreshed;
    await nextPage.release();

    // No key pressed since: the list asks for the second page again as the refresh ends.
    await until(async () => (await loadedText(page)) === '600 loaded', { message: 'the second page loaded' });
    await grid.press('End');
    await grid.getByRole('button', { name: 'scan/frame_0599.h5' }).waitFor();
    assert.equal(await grid.getAttribute('aria-rowcount'), String(records + 1));
    await context.close();
  });
});
