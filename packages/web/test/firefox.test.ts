/**
 * The portal in Firefox: every main view renders its heading with no script error, after a real sign-in.
 * The views' behaviour is tested in Chromium; this proves the same bundle runs in the other engine.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'puppeteer-core';
import { screenshotDirectory } from './support/browser.ts';
import { firefoxSkipReason, launchFirefox } from './support/firefox.ts';
import { adminPassword, type Portal, startPortal } from './support/portal.ts';

/** Each view, and what its heading says once it rendered. */
const views: [path: string, heading: RegExp][] = [
  ['/experiments', /^Experiments$/],
  ['/experiments/ff-exp', /^ff-exp/],
  ['/experiments/ff-exp/files', /^Files of ff-exp$/],
  ['/experiments/new', /^New experiment$/],
  ['/acquisition', /^Data acquisition$/],
  ['/workflows', /^Workflows$/],
  ['/workflows/new', /^New workflow$/],
  ['/jobs', /^Jobs$/],
  ['/usage', /^Usage$/],
  ['/admin', /^Administration$/],
];

describe('the portal in Firefox', { skip: firefoxSkipReason() }, () => {
  let portal: Portal;
  let firefox: Browser;
  before(async () => {
    portal = await startPortal();
    firefox = await launchFirefox();
    await portal.call('POST', '/api/v1/stations', { name: 'FF-1' });
    await portal.call('POST', '/api/v1/experiments', { name: 'ff-exp', station: 'FF-1' });
  });
  after(async () => {
    await firefox?.close();
    await portal?.close();
  });

  it('signs in and renders every main view without a script error', async () => {
    const page = await firefox.newPage();
    await page.setViewport({ width: 1440, height: 900 });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${portal.url}/sign-in`);
    await page.locator('input[name=username]').fill('admin');
    await page.locator('input[name=password]').fill(adminPassword);
    await page.locator('button[type=submit]').click();
    await page.locator('::-p-text(Sign out)').wait();
    mkdirSync(screenshotDirectory, { recursive: true });
    for (const [path, heading] of views) {
      await page.goto(portal.url + path);
      // The heading of the view itself (a lazily loaded route shows it once its code and data arrived).
      const text = await page
        .waitForFunction(
          (pattern: string) => {
            // Runs in the page, where `document` exists (this file is type-checked as Node code).
            // biome-ignore lint/suspicious/noExplicitAny: the page's document, which Node's types do not have
            const h1 = (globalThis as any).document.querySelector('main h1')?.textContent?.trim() ?? '';
            return new RegExp(pattern).test(h1) ? h1 : false;
          },
          { timeout: 30_000 },
          heading.source,
        )
        .then((handle) => handle.jsonValue());
      assert.match(String(text), heading, path);
      await page.screenshot({ path: join(screenshotDirectory, `firefox${path.replaceAll('/', '-')}.png`) });
    }
    assert.deepEqual(errors, []);
  });
});
