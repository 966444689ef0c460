/**
 * The portal at `/`: the files `vite build` made (packages/web/dist), and its index page for every other
 * path that is not the API, so a bookmarked `/experiments/x/files` opens the right view. Hashed assets are
 * cached for good; the index page never, so a new release is picked up on the next load.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { AppError } from '../errors/app-error.ts';
import type { HttpServer } from '../http/server.ts';

/**
 * The portal talks only to its own origin and is never framed (clickjacking); CodeMirror sets inline styles,
 * hence 'unsafe-inline' for styles only.
 */
const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const notBuilt = `<!doctype html><meta charset="utf-8"><title>Photon DM</title>
<h1>Photon DM</h1><p>The API is running, but the portal has not been built. Run <code>npm run build:web</code>
(or start with <code>npm start</code>, which builds it), or point <code>DM_WEB_DIR</code> at a built portal.
The API is at <a href="/api/openapi.json">/api/openapi.json</a>.</p>`;

export async function registerPortalRoutes(http: HttpServer, webDir: string): Promise<void> {
  const built = existsSync(join(webDir, 'index.html'));
  await http.register(async (portal) => {
    // The portal's files are public like any web page: the data they show comes from the API, which asks
    // for a token on every call.
    portal.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    await portal.register(fastifyStatic, {
      root: built ? webDir : tmpdir(),
      serve: built,
      wildcard: false,
      index: false,
      cacheControl: false,
      // The build writes .br and .gz copies of scripts and styles; browsers that accept them get those.
      preCompressed: true,
      setHeaders(response, path) {
        response.setHeader('vary', 'accept-encoding');
        for (const [name, value] of Object.entries(securityHeaders)) response.setHeader(name, value);
        const hashed = path.startsWith(join(webDir, 'assets'));
        response.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    // Files are routes of their own (wildcard: false), which win over this catch-all.
    portal.get('/*', { schema: { hide: true } }, async (request, reply) => {
      const path = request.url.split('?')[0] ?? request.url;
      if (!isPortalPath(path)) throw new AppError('route_not_found', `no route ${request.method} ${path}`);
      void reply.headers({ ...securityHeaders, 'cache-control': 'no-cache' });
      if (!built) return reply.type('text/html; charset=utf-8').send(notBuilt);
      return reply.sendFile('index.html');
    });
  });
}

/** The API, the metrics and missing assets keep their 404s: a page of HTML there would confuse clients. */
function isPortalPath(path: string): boolean {
  return !['/api', '/metrics', '/assets'].some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}
