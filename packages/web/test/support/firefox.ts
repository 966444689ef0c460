/**
 * Firefox for the portal's cross-browser tests: Debian's `firefox-esr`, driven over WebDriver BiDi by
 * puppeteer-core (Playwright can only drive its own patched Firefox, which this machine cannot download).
 * Skipped without Firefox, except in CI (`.ci/run` installs it).
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

export const firefoxPath = process.env.DM_TEST_FIREFOX ?? '/usr/bin/firefox-esr';
const inCi = process.env.CI === 'true' || process.env.CI === '1';

export function firefoxSkipReason(): string | false {
  if (existsSync(firefoxPath)) return false;
  if (inCi) throw new Error(`Firefox is required in CI but ${firefoxPath} does not exist`);
  return `no Firefox at ${firefoxPath} (apt-get install firefox-esr)`;
}

export function launchFirefox(): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxPath,
    headless: true,
    // The machine's network is closed: no update checks, telemetry or captive-portal probes.
    extraPrefsFirefox: {
      'app.update.enabled': false,
      'network.captive-portal-service.enabled': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'toolkit.telemetry.enabled': false,
    },
  });
}
