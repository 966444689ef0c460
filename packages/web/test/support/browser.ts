/**
 * Real headless Chromium for the portal's end-to-end tests: Debian's `chromium`, driven by playwright-core
 * (which downloads no browser of its own). Without the browser the tests are skipped, except in CI, where a
 * skipped half would look green (`.ci/run` installs it).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const chromiumPath = process.env.DM_TEST_CHROMIUM ?? '/usr/bin/chromium';
const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** `skip` option for the e2e suites: false to run, or why not. */
export function browserSkipReason(): string | false {
  if (existsSync(chromiumPath)) return false;
  if (inCi) throw new Error(`Chromium is required in CI but ${chromiumPath} does not exist`);
  return `no Chromium at ${chromiumPath} (apt-get install chromium)`;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // This machine's network is closed: Chromium's background services would only fail and slow it down.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Screenshots of the main views, kept as test artifacts (and looked at by people). */
export const screenshotDirectory = resolve(import.meta.dirname, '../../../../test-artifacts/screenshots');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDirectory, { recursive: true });
  const path = join(screenshotDirectory, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
