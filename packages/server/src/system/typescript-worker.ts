/**
 * Starting a worker thread on one of our TypeScript modules. Workers do not inherit the parent's module
 * hooks, so when the server runs from its TypeScript sources the worker registers tsx itself, as bin/dm.js
 * does, before importing the module.
 */
import { Worker } from 'node:worker_threads';

/**
 * Starts `module` (a URL next to the caller, e.g. `new URL('./copy-thread.ts', import.meta.url)`) in a
 * worker that does not keep the process alive, and resolves once the worker posts its first message
 * (`ready`).
 *
 * @example
 * const worker = await startTypeScriptWorker(new URL('./hdf5-reader-worker.ts', import.meta.url), { role });
 */
export function startTypeScriptWorker(module: URL, workerData: unknown): Promise<Worker> {
  return new Promise<Worker>((resolve, reject) => {
    const entry = JSON.stringify(module.href);
    const tsx = module.pathname.endsWith('.ts')
      ? JSON.stringify(import.meta.resolve('tsx/esm/api'))
      : undefined;
    const source = tsx
      ? `import(${tsx}).then((t) => { t.register(); return import(${entry}); })`
      : `import(${entry})`;
    const worker = new Worker(source, { eval: true, workerData });
    worker.unref();
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the worker exited with code ${code}`)));
  });
}
