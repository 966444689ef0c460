import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import {
  ApiError,
  collectPages,
  type FetchFunction,
  type Page,
  PhotonClient,
  paginate,
} from '../src/index.ts';

interface Seen {
  method: string;
  url: string;
  headers: Headers;
  body: unknown;
}

/** A fetch that records each request and answers with `respond`. */
function fakeFetch(respond: (request: Seen) => Response): { fetch: FetchFunction; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetch: FetchFunction = async (input, init) => {
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const request = {
      method: init?.method ?? 'GET',
      url: String(input),
      headers: new Headers(init?.headers),
      body,
    };
    seen.push(request);
    return respond(request);
  };
  return { fetch, seen };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('PhotonClient requests', () => {
  it('should send the token, JSON bodies and URL-encoded path segments', async () => {
    const { fetch, seen } = fakeFetch(() => json(200, { name: 'x' }));
    const client = new PhotonClient({ server: 'http://dm.example.org:8080/', token: 'dm_secret', fetch });
    await client.experiments.addUser('a/../b?c', 'bob@site', 'pi');
    assert.equal(seen[0]?.method, 'POST');
    assert.equal(seen[0]?.url, 'http://dm.example.org:8080/api/v1/experiments/a%2F..%2Fb%3Fc/users');
    assert.equal(seen[0]?.headers.get('authorization'), 'Bearer dm_secret');
    assert.equal(seen[0]?.headers.get('content-type'), 'application/json');
    assert.deepEqual(seen[0]?.body, { username: 'bob@site', role: 'pi' });
    await client.stations.removeManager('8-ID-I', 'a b');
    assert.equal(seen[1]?.url, 'http://dm.example.org:8080/api/v1/stations/8-ID-I/managers/a%20b');
  });

  it('should leave undefined filters out of the query string', async () => {
    const { fetch, seen } = fakeFetch(() => json(200, { items: [], nextCursor: null }));
    const client = new PhotonClient({ server: 'http://dm', fetch });
    await client.experiments.list({ station: '8-ID-I', user: undefined, search: 'gel & sol', limit: 5 });
    await client.tokens.list({ all: true });
    assert.equal(seen[0]?.url, 'http://dm/api/v1/experiments?station=8-ID-I&search=gel+%26+sol&limit=5');
    assert.equal(seen[1]?.url, 'http://dm/api/v1/tokens?all=true');
  });

  it('should not send an old token when logging in', async () => {
    const { fetch, seen } = fakeFetch(() => json(200, { token: 'dm_new' }));
    const client = new PhotonClient({ server: 'http://dm', token: 'dm_old', fetch });
    await client.login({ username: 'admin', password: 'pw' });
    assert.equal(seen[0]?.headers.get('authorization'), null);
  });

  it('should return undefined for 204 answers', async () => {
    const { fetch } = fakeFetch(() => new Response(null, { status: 204 }));
    assert.equal(await new PhotonClient({ server: 'http://dm', fetch }).experiments.delete('e1'), undefined);
  });
});

describe('PhotonClient errors', () => {
  it("should throw the server's error as an ApiError with its status, code and details", async () => {
    const fields = [{ field: 'users/1', message: 'is required' }];
    const { fetch } = fakeFetch(() =>
      json(400, {
        error: { code: 'validation_failed', message: 'users/1: is required', details: { fields } },
      }),
    );
    const error = await new PhotonClient({ server: 'http://dm', fetch }).users
      .create({ username: 'x' })
      .catch((e) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'validation_failed');
    assert.deepEqual(error.fieldProblems, fields);
  });

  it('should say so when the answer is not the API speaking', async () => {
    const { fetch } = fakeFetch(() => new Response('<html>Bad Gateway</html>', { status: 502 }));
    const error = await new PhotonClient({ server: 'http://dm', fetch }).whoami().catch((e) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 502);
    assert.equal(error.code, 'http_error');
    assert.match(error.message, /not JSON/);
  });

  describe('with no server listening', () => {
    let closedPort: number;
    before(async () => {
      const server: Server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      closedPort = (server.address() as AddressInfo).port;
      await new Promise((resolve) => server.close(resolve));
    });

    it('should throw server_unreachable naming the server URL', async () => {
      const server = `http://127.0.0.1:${closedPort}`;
      const error = await new PhotonClient({ server }).health().catch((e) => e);
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, 'server_unreachable');
      assert.equal(error.status, 0);
      assert.equal(error.message, `cannot reach the Photon DM server at ${server} (ECONNREFUSED)`);
    });
  });
});

describe('following pages', () => {
  const names = Array.from({ length: 7 }, (_, index) => `e${index}`);
  /** A list of seven experiments served in pages, with cursors that are positions. */
  const pages =
    (requests: Array<{ cursor?: string; limit: number }>) =>
    async (page: { cursor?: string; limit: number }) => {
      requests.push(page);
      const start = page.cursor === undefined ? 0 : Number(page.cursor);
      const end = Math.min(start + page.limit, names.length);
      return {
        items: names.slice(start, end),
        nextCursor: end < names.length ? String(end) : null,
      } satisfies Page<string>;
    };
  it('should follow cursors to the end', async () => {
    const requests: Array<{ cursor?: string; limit: number }> = [];
    const seen: string[] = [];
    for await (const name of paginate(pages(requests), { pageSize: 3 })) seen.push(name);
    assert.deepEqual(seen, names);
    assert.deepEqual(requests, [{ limit: 3 }, { cursor: '3', limit: 3 }, { cursor: '6', limit: 3 }]);
  });

  it('should stop at the limit without asking for more than it needs', async () => {
    const requests: Array<{ cursor?: string; limit: number }> = [];
    const page = await collectPages(pages(requests), { limit: 5, pageSize: 3 });
    assert.deepEqual(page, { items: ['e0', 'e1', 'e2', 'e3', 'e4'], nextCursor: '5' });
    assert.deepEqual(requests, [{ limit: 3 }, { cursor: '3', limit: 2 }]);
  });
});
