/** The `dm` command as a library, for tests and for tools that embed it. */

export type { Runtime } from './context.ts';
export { buildProgram, main, report } from './main.ts';
