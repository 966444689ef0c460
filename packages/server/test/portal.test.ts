/**
 * The api role serves the portal at `/`: the index page for any portal path, the API's own JSON 404s kept,
 * and, before the portal is built, a page saying how to build it instead of a bare 404.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import { createApp } from '../src/app.ts';
import { loadSettings } from '../src/settings/settings.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';

async function appServing(webDir: string, dataDir: string) {
  const settings = loadSettings({ flags: { dataDir, webDir, logLevel: 'silent' }, env: {} });
  return createApp({ settings });
}

const bigScript = `console.log(${JSON.stringify('x'.repeat(5000))});`;

describe('the portal at /', () => {
  let dir: TempDir;
  before(async () => {
    dir = await tempDir('dm-portal-');
  });
  after(() => dir.remove());

  it('says how to build the portal when it is not built, and keeps the API 404s as JSON', async () => {
    const app = await appServing(join(dir.path, 'no-portal'), join(dir.path, 'data-1'));
    try {
      const page = await app.http.inject({ method: 'GET', url: '/experiments/x' });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /npm run build:web/);
      const api = await app.http.inject({ method: 'GET', url: '/api/v1/no-such-thing' });
      assert.equal(api.statusCode, 404);
      assert.equal(api.json().error.code, 'route_not_found');
      const post = await app.http.inject({ method: 'POST', url: '/experiments', payload: {} });
      assert.equal(post.statusCode, 404, 'only GET and HEAD fall back to the portal');
    } finally {
      await app.close();
    }
  });

  it('serves built files with long caching for hashed assets, and the index for every portal path', async () => {
    const webDir = join(dir.path, 'web');
    mkdirSync(join(webDir, 'assets'), { recursive: true });
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>portal</title>');
    writeFileSync(join(webDir, 'assets', 'main-abc123.js'), 'console.log(1)');
    writeFileSync(join(webDir, 'assets', 'big-def456.js'), bigScript);
    writeFileSync(join(webDir, 'assets', 'big-def456.js.br'), brotliCompressSync(bigScript));
    const app = await appServing(webDir, join(dir.path, 'data-2'));
    try {
      for (const url of ['/', '/jobs/12', '/experiments/a%20b/files?path=x']) {
        const page = await app.http.inject({ method: 'GET', url });
        assert.equal(page.statusCode, 200, url);
        assert.equal(page.body, '<!doctype html><title>portal</title>');
        assert.equal(page.headers['cache-control'], 'no-cache');
        assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
      }
      const asset = await app.http.inject({ method: 'GET', url: '/assets/main-abc123.js' });
      assert.equal(asset.statusCode, 200);
      assert.match(String(asset.headers['cache-control']), /immutable/);
      assert.equal((await app.http.inject({ method: 'GET', url: '/assets/nope.js' })).statusCode, 404);
      const compressed = await app.http.inject({
        method: 'GET',
        url: '/assets/big-def456.js',
        headers: { 'accept-encoding': 'gzip, deflate, br' },
      });
      assert.equal(compressed.headers['content-encoding'], 'br', 'the copy the build compressed');
      assert.equal(brotliDecompressSync(compressed.rawPayload).toString(), bigScript);
      assert.match(String(compressed.headers['cache-control']), /immutable/);
      assert.match(String(compressed.headers.vary), /accept-encoding/);
      const plain = await app.http.inject({ method: 'GET', url: '/assets/big-def456.js' });
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.body, bigScript, 'a client that accepts no encoding gets the file itself');
      const whoami = await app.http.inject({ method: 'GET', url: '/api/v1/auth/whoami' });
      assert.equal(whoami.statusCode, 401, 'the API still asks for a token');
    } finally {
      await app.close();
    }
  });
});
