/**
 * Signing in and out of the portal in a real browser: the wrong password is said next to the field, a
 * visitor who is not signed in is sent to sign in and brought back, the session survives a reload and ends
 * when the token is revoked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browserSkipReason, screenshot } from './support/browser.ts';
import { adminPassword, type Portal, startPortal } from './support/portal.ts';

describe('portal sign-in', { skip: browserSkipReason() }, () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal();
  });
  after(() => portal?.close());

  it('says a wrong password next to the password field, signs in, returns to the page asked for, and signs out every tab', async () => {
    const context = await portal.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${portal.url}/experiments?mine=1`);
    await page.waitForURL(/\/sign-in\?next=/);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const password = page.getByLabel('Password');
    await page.getByText('Wrong username or password.').waitFor();
    assert.equal(await password.getAttribute('aria-invalid'), 'true');
    const describedBy = (await password.getAttribute('aria-describedby')) ?? '';
    assert.match(await page.locator(`[id="${describedBy.split(' ')[0]}"]`).innerText(), /Wrong username/);
    await screenshot(page, 'sign-in-error');

    await password.fill(adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/experiments\?mine=1$/);
    await page.getByRole('heading', { name: 'Experiments' }).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Experiments' }).waitFor();
    assert.match(
      await page.getByTestId('signed-in-as').innerText(),
      /Administrator/,
      'a reload keeps the session',
    );

    const other = await context.newPage();
    await other.goto(`${portal.url}/experiments`);
    await other.getByRole('heading', { name: 'Experiments' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await other.waitForURL(/\/sign-in/); // every tab follows a sign-out
    await page.goto(`${portal.url}/experiments`);
    await page.waitForURL(/\/sign-in/);
    await context.close();
  });

  it('goes back to sign-in, saying why, when the session is revoked elsewhere', async () => {
    await portal.user('rita');
    const { context, page } = await portal.signedIn('rita');
    // The page's own first calls (the list, the stations of its filter) answered before the revocation: one
    // still on its way would meet it first and take the page to sign-in before the search below.
    await page.getByText('No experiments match.').waitFor();
    await page.getByLabel('Station').and(page.locator(':enabled')).waitFor();
    const tokens = await portal.call('GET', '/api/v1/tokens?all=true&limit=1000');
    const ritas = tokens.items.filter((token: { username: string }) => token.username === 'rita');
    assert.ok(ritas.length > 0);
    for (const token of ritas) await portal.call('DELETE', `/api/v1/tokens/${token.id}`);
    await page.getByLabel('Search').fill('anything');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/sign-in\?.*expired=1/);
    await page.getByText('Your session ended').waitFor();
    await context.close();
  });

  it('serves the portal for its own paths, JSON 404s for the API, and a strict content security policy', async () => {
    const page = await fetch(`${portal.url}/experiments/some/deep/link`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const missing = await fetch(`${portal.url}/api/v1/nothing-here`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'route_not_found');
    const html = await page.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, html);
    const script = await fetch(portal.url + asset);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${portal.url}/assets/gone.js`)).status, 404);
  });
});
