/**
 * The file browser with 100,000 files in one experiment: the first page and the exact count come back, the
 * user scrolls (from the keyboard) to the very last file, and the page never holds more than a screenful of
 * rows in its DOM. The records go straight into the served SQLite database through the catalog's own store
 * functions (as bench/catalog.ts does): through a DAQ they would take hours. Prints how long the first page
 * and the count took, for docs/benchmarks.md (figures, not assertions).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addToTotals, syncFileMetadata } from '../../server/src/catalog/summary-store.ts';
import { openDatabase } from '../../server/src/db/connection.ts';
import { until } from '../../server/test/support/wait.ts';
import { browserSkipReason } from './support/browser.ts';
import { type Portal, startPortal } from './support/portal.ts';

const experiment = 'files-100k';
const records = 100_000;
const rowsPerTransaction = 5_000;
const rowsPerInsert = 1_000;
const samples = ['lysozyme', 'insulin', 'ferritin', 'thaumatin'];

async function insertRecords(databaseFile: string, experimentId: number): Promise<number> {
  const handle = openDatabase({ url: `sqlite:${databaseFile}`, poolSize: 1 });
  const started = performance.now();
  try {
    for (let first = 0; first < records; first += rowsPerTransaction) {
      const now = new Date().toISOString();
      const rows = Array.from({ length: rowsPerTransaction }, (_, i) => {
        const n = first + i;
        return {
          experiment_id: experimentId,
          path: `scan_${String(Math.floor(n / 1000)).padStart(3, '0')}/frame_${String(n).padStart(6, '0')}.h5`,
          size: 1_000_000 + n,
          mtime: new Date(Date.parse('2026-11-01T00:00:00Z') + n * 1000).toISOString(),
          md5: 'd41d8cd98f00b204e9800998ecf8427e',
          sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          status: 'stored' as const,
          source: null,
          origin_type: 'daq' as const,
          origin_id: 1,
          transfer_ms: null,
          metadata: JSON.stringify({
            sample: samples[n % samples.length],
            scan_number: Math.floor(n / 1000),
          }),
          created_at: now,
          updated_at: now,
        };
      });
      // The records and what the catalog derives from them, in one transaction as the server writes them.
      await handle.db.transaction().execute(async (trx) => {
        const ids: number[] = [];
        for (let i = 0; i < rows.length; i += rowsPerInsert) {
          const inserted = await trx
            .insertInto('files')
            .values(rows.slice(i, i + rowsPerInsert))
            .returning('id')
            .execute();
          for (const row of inserted) ids.push(row.id);
        }
        await syncFileMetadata(trx, handle.profile, { fromId: Math.min(...ids), toId: Math.max(...ids) });
        await addToTotals(
          trx,
          experimentId,
          rows.length,
          rows.reduce((sum, row) => sum + row.size, 0),
        );
      });
    }
  } finally {
    await handle.close();
  }
  return (performance.now() - started) / 1000;
}

describe('portal file browser with 100,000 files', { skip: browserSkipReason() }, () => {
  let portal: Portal;

  before(async () => {
    portal = await startPortal();
    await portal.call('POST', '/api/v1/stations', { name: 'bl-scale' });
    const created = await portal.call('POST', '/api/v1/experiments', {
      name: experiment,
      station: 'bl-scale',
    });
    const seconds = await insertRecords(join(portal.dataDir.path, 'photon-dm.sqlite'), created.id);
    console.log(`# inserted ${records} file records in ${seconds.toFixed(1)} s`);
  });
  after(() => portal?.close());

  it('shows the first page and the exact count, scrolls to the last file, and keeps the DOM small', async () => {
    const { context, page } = await portal.signedIn('admin');
    const timings = new Map<string, number>();
    page.on('requestfinished', (request) => {
      const url = new URL(request.url());
      const name = url.pathname.endsWith('/files/count')
        ? 'count'
        : url.pathname.endsWith('/files')
          ? 'page'
          : '';
      if (name && !url.searchParams.has('cursor') && !timings.has(name)) {
        const timing = request.timing();
        timings.set(name, timing.responseEnd - timing.requestStart);
      }
    });
    const started = performance.now();
    await page.goto(`${portal.url}/experiments/${experiment}/files`);
    const grid = page.getByRole('grid', { name: 'Files' });
    await grid.getByRole('button', { name: 'scan_000/frame_000000.h5' }).waitFor({ timeout: 120_000 });
    const firstRows = performance.now() - started;
    await page
      .getByTestId('file-count')
      .filter({ hasText: '100,000 files match' })
      .waitFor({ timeout: 120_000 });
    console.log(
      `# 100k files: first page ${timings.get('page')?.toFixed(0)} ms, count ${timings.get('count')?.toFixed(0)} ms ` +
        `(server, as the browser timed them); first rows on screen ${firstRows.toFixed(0)} ms after navigation`,
    );

    // End jumps to the last loaded row; the next page loads as it comes into view, until there is none.
    await grid.focus();
    const last = grid.getByRole('button', { name: 'scan_099/frame_099999.h5' });
    const deadline = Date.now() + 15 * 60_000;
    const scrollStarted = performance.now();
    while (!(await last.isVisible())) {
      assert.ok(Date.now() < deadline, 'scrolled to the last file within 15 minutes');
      const before = await loadedCount(page);
      await grid.press('End');
      await until(
        async () => {
          const loaded = await loadedCount(page);
          return loaded > before || loaded === records;
        },
        { timeout: 120_000, interval: 50, message: `a page after the ${before} loaded rows` },
      );
    }
    console.log(
      `# scrolled through 100k files in ${((performance.now() - scrollStarted) / 1000).toFixed(1)} s`,
    );
    const rowsInDom = await page.locator('tbody tr').count();
    console.log(`# ${rowsInDom} rows in the DOM with all ${records} loaded`);
    assert.ok(rowsInDom > 0 && rowsInDom < 200, `${rowsInDom} rows in the DOM`);
    assert.equal(await grid.getAttribute('aria-rowcount'), String(records + 1));
    await context.close();
  });
});

async function loadedCount(page: import('playwright-core').Page): Promise<number> {
  const text = (await page.locator('.file-browser .toolbar .muted').textContent()) ?? '';
  return Number(text.replace(/[^0-9]/g, ''));
}
