/**
 * The portal's build. `vite build` writes `dist/`, which the api role serves at `/`; `vite` (npm run dev -w
 * @photon-dm/web) serves the sources with the API proxied to a `dm serve` on port 8080.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
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
