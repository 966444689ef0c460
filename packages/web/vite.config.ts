/**
 * The portal's build. `vite build` writes `dist/`, which the api role serves at `/`; `vite` (npm run dev -w
 * @photon-dm/web) serves the sources with the API proxied to a `dm serve` on port 8080.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * Writes `.br` and `.gz` copies of the scripts and styles beside them, which the api role sends to browsers
 * that accept them (@fastify/static `preCompressed`): the first load crosses the network at about a third of
 * its size, compressed once at build time rather than on every request (docs/benchmarks.md, portal bundle).
 */
function precompress(): Plugin {
  return {
    name: 'photon-dm-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      const outDir = options.dir ?? 'dist';
      for (const file of Object.keys(bundle)) {
        if (!/\.(js|css)$/.test(file)) continue;
        const bytes = readFileSync(join(outDir, file));
        if (bytes.length < 1024) continue;
        writeFileSync(join(outDir, `${file}.gz`), gzipSync(bytes, { level: 9 }));
        writeFileSync(
          join(outDir, `${file}.br`),
          brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The chart and editor libraries load with their views, not on the first page.
    chunkSizeWarningLimit: 600,
    reportCompressedSize: true,
  },
  server: {
    proxy: { '/api': { target: 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});
