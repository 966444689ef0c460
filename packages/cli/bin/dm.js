#!/usr/bin/env node
// `dm` from a checkout with no build step. The bundle (dist/dm.mjs: `npm start`, `npm test` and `npm run
// build:cli` build it) starts in a third of the time tsx takes to compile the TypeScript on load, so it
// runs whenever it is current; after an edit to the sources tsx runs them, so an edit is never hidden
// behind an old bundle.
import { setFlagsFromString } from 'node:v8';
import { bundleIsCurrent, bundlePath } from './bundle.js';

const current = bundleIsCurrent();
// The server (dm serve, db, setup and daq-agent load it) stays TypeScript, compiled by tsx as it loads.
const server = process.argv
  .slice(2)
  .some((argument) => ['serve', 'db', 'setup', 'daq-agent'].includes(argument));
if (!current || server) (await import('tsx/esm/api')).register();
// fetch parses HTTP with llhttp compiled to WebAssembly, which V8 optimises again on a background thread and
// waits for when the process exits: a command that asks the server once spent a third of its CPU there.
// Liftoff, V8's baseline compiler, parses a command's few responses just as well (bench/cli-start.ts). Not
// for the server's commands: their HDF5 reader is WebAssembly too, and reads for hours.
if (!server && !process.env.DM_WASM_TIER_UP) setFlagsFromString('--liftoff-only');
const { main } = current ? await import(bundlePath) : await import('../src/main.ts');
process.exitCode = await main(process.argv);
