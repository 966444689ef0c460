/**
 * The administration pages in a real browser: an admin adds a user with a password (who can then sign in),
 * makes them an admin with a unix account, adds a station and a manager, revokes a token, and reads the
 * audit log filtered by action; API errors appear beside their fields; anyone else finds no /admin at all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { api } from '../../server/test/support/server-process.ts';
import { until } from '../../server/test/support/wait.ts';
import { browserSkipReason, screenshot } from './support/browser.ts';
import { type Portal, startPortal } from './support/portal.ts';

async function errorOf(page: Page, field: Locator): Promise<string> {
  await until(async () => (await field.getAttribute('aria-invalid')) === 'true', {
    interval: 100,
    message: 'the field is marked invalid',
  });
  const describedBy = (await field.getAttribute('aria-describedby')) ?? '';
  return page.locator(`[id="${describedBy.split(' ')[0]}"]`).innerText();
}

describe('portal administration', { skip: browserSkipReason() }, () => {
  let portal: Portal;
  let page: Page;
  before(async () => {
    portal = await startPortal();
    await portal.user('alice');
    ({ page } = await portal.signedIn('admin'));
  });
  after(() => portal?.close());

  it('adds a user with a password by keyboard, says a taken username beside it, and changes the user', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.waitForURL(/\/admin\/users$/);
    const form = page.getByRole('form', { name: 'Add a user' });
    const username = form.getByLabel('Username');
    await username.fill('alice');
    await form.getByLabel('Password').fill('a-long-password-1');
    await form.getByLabel('Password').press('Enter');
    assert.match(await errorOf(page, username), /alice/);

    await username.fill('newbie');
    await form.getByLabel('Display name').fill('New Bie');
    await form.getByLabel('Password').press('Enter');
    const row = page.getByRole('row', { name: /newbie/ });
    await row.waitFor();
    const login = await api(portal.url, 'POST', '/api/v1/auth/login', null, {
      username: 'newbie',
      password: 'a-long-password-1',
    });
    assert.equal(login.status, 200, 'the new user signs in with the password given');

    await page.getByRole('button', { name: 'Edit newbie' }).click();
    const edit = page.getByRole('form', { name: 'Edit newbie' });
    await edit.getByLabel('Unix account').fill('nbie');
    await edit.getByLabel('Administrator').check();
    await edit.getByRole('button', { name: 'Save' }).click();
    await until(async () => /nbie.*admin/s.test(await row.innerText()), {
      interval: 100,
      message: 'the row shows the changes',
    });
    const shown = await portal.call('GET', '/api/v1/users/newbie');
    assert.deepEqual([shown.unixAccount, shown.isAdmin], ['nbie', true]);
    await screenshot(page, 'admin-users');

    await page.getByRole('button', { name: 'Edit newbie' }).click();
    await edit.getByLabel('Disabled').check();
    await edit.getByRole('button', { name: 'Save' }).click();
    await until(async () => /disabled/.test(await row.innerText()), {
      interval: 100,
      message: 'the row shows the user disabled',
    });
  });

  it('adds a station and a manager, saying an unknown user beside the manager field', async () => {
    await page
      .getByRole('navigation', { name: 'Administration' })
      .getByRole('link', { name: 'Stations' })
      .click();
    await page.getByLabel('Station name').fill('32-ID');
    await page.getByLabel('Station description').fill('Imaging');
    await page.getByRole('button', { name: 'Add station' }).click();
    const manager = page.getByLabel('New manager of 32-ID');
    await manager.fill('ghost');
    await manager.press('Enter');
    assert.match(await errorOf(page, manager), /ghost/);
    await manager.fill('alice');
    await manager.press('Enter');
    await page.getByRole('button', { name: 'Remove alice from managers of 32-ID' }).waitFor();
    assert.deepEqual((await portal.call('GET', '/api/v1/stations/32-ID')).managers, ['alice']);
    await screenshot(page, 'admin-stations');
  });

  it('lists the compute sites without their secrets, and disables one', async () => {
    const token = 'portal-site-token-5d1e';
    await portal.call('POST', '/api/v1/sites', {
      name: 'perlmutter',
      kind: 'iri',
      connection: { url: 'https://api.iri.nersc.gov/api/v2', resourceId: 'compute' },
      secrets: { token },
      defaults: { account: 'm1234', walltime: 900 },
    });
    await page
      .getByRole('navigation', { name: 'Administration' })
      .getByRole('link', { name: 'Sites' })
      .click();
    const perlmutter = page.getByRole('article', { name: /perlmutter/ });
    await perlmutter.getByText('https://api.iri.nersc.gov/api/v2').waitFor();
    assert.match(await perlmutter.innerText(), /account m1234, walltime 15 min/);
    assert.match(await perlmutter.innerText(), /Secrets stored\s+token/);
    assert.ok(!(await page.content()).includes(token), 'no secret reaches the page');
    assert.match(await page.getByRole('article', { name: /local/ }).innerText(), /takes stages/);
    await page.getByRole('button', { name: 'Disable perlmutter' }).click();
    await page.getByRole('button', { name: 'Enable perlmutter' }).waitFor();
    assert.equal((await portal.call('GET', '/api/v1/sites/perlmutter')).enabled, false);
    await screenshot(page, 'admin-sites');
  });

  it("shows everyone's tokens and revokes one, which then no longer works", async () => {
    const issued = await portal.call('POST', '/api/v1/auth/login', {
      username: 'alice',
      password: 'alice-password-1',
      tokenName: 'laptop',
    });
    await page
      .getByRole('navigation', { name: 'Administration' })
      .getByRole('link', { name: 'Tokens' })
      .click();
    const revoke = page.getByRole('button', { name: `Revoke alice's token laptop (${issued.id})` });
    await revoke.waitFor();
    await screenshot(page, 'admin-tokens');
    await revoke.click();
    await until(async () => (await revoke.count()) === 0, {
      interval: 100,
      message: 'the token is gone from the list',
    });
    const refused = await api(portal.url, 'GET', '/api/v1/auth/whoami', issued.token);
    assert.equal(refused.status, 401);
  });

  it('reads the audit log, filtered by action from the URL', async () => {
    await page
      .getByRole('navigation', { name: 'Administration' })
      .getByRole('link', { name: 'Audit log' })
      .click();
    await page.getByRole('cell', { name: 'token.revoke' }).waitFor();
    await page.getByLabel('Action').fill('station.create');
    await page.getByLabel('Action').press('Enter');
    await page.waitForURL(/action=station\.create/);
    const rows = page.locator('tbody tr');
    await until(async () => (await rows.count()) === 1, {
      interval: 100,
      message: 'only the station creation is listed',
    });
    assert.match(await rows.first().innerText(), /admin\s+station\.create\s+station 32-ID/);
    await screenshot(page, 'admin-audit');
  });

  it('is not found for anyone but admins', async () => {
    const { context, page: alicePage } = await portal.signedIn('alice');
    assert.equal(await alicePage.getByRole('link', { name: 'Admin' }).count(), 0);
    await alicePage.goto(`${portal.url}/admin/users`);
    await alicePage.getByRole('heading', { name: 'Not found' }).waitFor();
    assert.equal(await alicePage.getByRole('heading', { name: 'Administration' }).count(), 0);
    await context.close();
  });
});
