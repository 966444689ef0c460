#!/usr/bin/env node
// `dm` from a checkout with no build step. The bundle (dist/dm.mjs: `npm start`, `npm test` and `npm run
// build:cli` build it) starts in a third of the time tsx takes to compile the TypeScript on load, so it
// runs whenever it is current; after an edit to the sources tsx runs them, so an edit is never hidden
// behind an old bundle.
import { bundleIsCurrent, bundlePath } from './bundle.js';

const current = bundleIsCurrent();
// The server (dm serve, db, setup and daq-agent load it) stays TypeScript, compiled by tsx as it loads.
const server = process.argv
  .slice(2)
  .some((argument) => ['serve', 'db', 'setup', 'daq-agent'].includes(argument));
if (!current || server) (await import('tsx/esm/api')).register();
const { main } = current ? await import(bundlePath) : await import('../src/main.ts');
process.exitCode = await main(process.argv);
