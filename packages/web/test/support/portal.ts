/**
 * A whole Photon DM for a portal test: the real `dm serve` (with the built portal) on a loopback port, a
 * headless browser, and the API at hand to set the scene.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api, type ServerProcess, startServerProcess } from '../../../server/test/support/server-process.ts';
import { type TempDir, tempDir } from '../../../server/test/support/temp-dir.ts';
import { launchBrowser } from './browser.ts';

export const adminPassword = 'portal-admin-password';
const webDir = resolve(import.meta.dirname, '../../dist');

export interface Portal {
  url: string;
  server: ServerProcess;
  browser: Browser;
  dataDir: TempDir;
  adminToken: string;
  /** Calls the API as admin (or with `token`); throws on a status of 400 or more. */
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON response bodies
  call<T = any>(method: string, path: string, body?: unknown, token?: string): Promise<T>;
  /** Makes a user with a password; returns their token. */
  user(username: string, options?: { admin?: boolean; unixAccount?: string }): Promise<string>;
  /** A fresh browser context (its own storage, like another browser) signed in as `username`. */
  signedIn(username: string, password?: string): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

export const passwordOf = (username: string) => `${username}-password-1`;

export async function startPortal(options: { env?: Record<string, string> } = {}): Promise<Portal> {
  if (!existsSync(join(webDir, 'index.html')))
    throw new Error('the portal is not built: npm test builds it, or run npm run build:web');
  const dataDir = await tempDir('dm-portal-');
  const server = await startServerProcess(['--data-dir', dataDir.path, '--web-dir', webDir], {
    DM_ADMIN_PASSWORD: adminPassword,
    ...options.env,
  });
  const browser = await launchBrowser();
  const login = await api(server.url, 'POST', '/api/v1/auth/login', null, {
    username: 'admin',
    password: adminPassword,
  });
  const adminToken = login.body.token as string;

  const call = async (method: string, path: string, body?: unknown, token = adminToken) => {
    const response = await api(server.url, method, path, token, body);
    if (response.status >= 400)
      throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  };

  const portal: Portal = {
    url: server.url,
    server,
    browser,
    dataDir,
    adminToken,
    call,
    async user(username, userOptions = {}) {
      await call('POST', '/api/v1/users', {
        username,
        password: passwordOf(username),
        ...(userOptions.admin && { isAdmin: true }),
        ...(userOptions.unixAccount && { unixAccount: userOptions.unixAccount }),
      });
      const session = await api(server.url, 'POST', '/api/v1/auth/login', null, {
        username,
        password: passwordOf(username),
      });
      return session.body.token as string;
    },
    async signedIn(username, password = username === 'admin' ? adminPassword : passwordOf(username)) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${server.url}/sign-in`);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      return { context, page };
    },
    async close() {
      await browser.close().catch(() => undefined);
      await server.stop();
      await dataDir.remove();
    },
  };
  return portal;
}
