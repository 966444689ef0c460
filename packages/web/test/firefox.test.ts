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

/** Each view, and the heading that says it rendered. */
const views: [path: string, heading: string][] = [['/experiments', 'Experiments']];

describe('the portal in Firefox', { skip: firefoxSkipReason() }, () => {
  let portal: Portal;
  let firefox: Browser;
  before(async () => {
    portal = await startPortal();
    firefox = await launchFirefox();
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
      const text = await page
        .locator('h1')
        .map((h1) => h1.textContent ?? '')
        .wait();
      assert.equal(text, heading, path);
      await page.screenshot({ path: join(screenshotDirectory, `firefox${path.replaceAll('/', '-')}.png`) });
    }
    assert.deepEqual(errors, []);
  });
});
