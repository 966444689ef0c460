import type { CommandResult, CommandRunner } from '../../src/sites/commands.ts';

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

/**
 * A site whose commands answer as given, by program name: for the adapters' unit tests of faults and
 * refusals. Any other command succeeds silently, except `cat`, whose file is not there.
 *
 * @example
 * const pbs = createPbsCliAdapter(siteAnswering({ qsub: { code: 188, stderr: 'qsub: ...' } }));
 */
export function siteAnswering(answers: Record<string, Partial<CommandResult>>): CommandRunner {
  return {
    async run(argv) {
      const program = argv[0] ?? '';
      const fallback = program === 'cat' ? { code: 1, stderr: 'cat: No such file or directory\n' } : {};
      return { code: 0, stdout: '', stderr: '', ...fallback, ...answers[program] };
    },
  };
}
