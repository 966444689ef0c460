import type { CommandRunner } from '../../src/sites/commands.ts';

/**
 * A runner that remembers every command it ran, to count a scheduler's calls.
 *
 * @example
 * const counted = countingRunner(runner);
 * await createSlurmCliAdapter(counted).status(ids);
 * assert.deepEqual(counted.calls.map((argv) => argv[0]), ['squeue']);
 */
export function countingRunner(inner: CommandRunner): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    run(argv, options) {
      calls.push([...argv]);
      return inner.run(argv, options);
    },
  };
}
