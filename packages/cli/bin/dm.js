#!/usr/bin/env node
// A plain JS shim so `dm` runs from a checkout with no build step: tsx compiles the TypeScript on load.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
