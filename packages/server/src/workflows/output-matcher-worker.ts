/**
 * The output matcher's worker thread: applies a stage's regexes to its stdout. A regex that backtracks
 * catastrophically never returns; in this thread that costs a terminated worker, not a frozen server.
 *
 * Before each regex the worker writes into shared memory when it started it and its index, so the matcher
 * can time each regex and name the one that is stuck without a message per regex.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { defined } from '../errors/defined.ts';

export const outputMatcherRole = 'photon-dm-output-matcher';

/** Shared progress: `[startedAtMs, regexIndex]`, the time written first. */
export type ProgressView = BigInt64Array;

export interface MatchRequest {
  regexes: { source: string; flags: string }[];
  stdout: string;
}

export type MatchReply = { variables: Record<string, string> } | { error: string };

/**
 * APS semantics: each regex is searched for once in the whole output (the first match), and the named groups
 * of every match are merged in order, later regexes overriding earlier ones. A group that did not take part
 * in its match sets nothing.
 *
 * @example
 * matchOutputVariables('2026\nsum: ab12\n', [/(?<year>\d+)/, /sum: (?<md5Sum>\w+)/]) // { year: '2026', md5Sum: 'ab12' }
 */
export function matchOutputVariables(
  stdout: string,
  regexes: RegExp[],
  beforeEach: (index: number) => void = () => {},
): Record<string, string> {
  const variables: Record<string, string> = {};
  regexes.forEach((regex, index) => {
    beforeEach(index);
    const groups = regex.exec(stdout)?.groups ?? {};
    for (const [name, value] of Object.entries(groups)) {
      // defineProperty: a group named __proto__ is a variable like any other.
      if (value !== undefined) {
        Object.defineProperty(variables, name, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
  });
  return variables;
}

if (!isMainThread && workerData?.role === outputMatcherRole)
  serveMatches(new BigInt64Array(workerData.progress));

function serveMatches(progress: ProgressView): void {
  const port = defined(parentPort, "the output matcher's parent port");
  // Stages of one workflow send the same few regexes again and again.
  const compiled = new Map<string, RegExp>();
  const compile = ({ source, flags }: { source: string; flags: string }): RegExp => {
    const key = `${flags}/${source}`;
    let regex = compiled.get(key);
    if (regex === undefined) {
      if (compiled.size >= 1000) compiled.clear();
      regex = new RegExp(source, flags);
      compiled.set(key, regex);
    }
    return regex;
  };
  port.on('message', ({ regexes, stdout }: MatchRequest) => {
    try {
      const variables = matchOutputVariables(stdout, regexes.map(compile), (index) => {
        // Wall clock: the parent's watchdog compares it with its own Date.now (output-variables.ts).
        Atomics.store(progress, 0, BigInt(Date.now()));
        Atomics.store(progress, 1, BigInt(index));
      });
      port.postMessage({ variables } satisfies MatchReply);
    } catch (error) {
      port.postMessage({
        error: error instanceof Error ? error.message : String(error),
      } satisfies MatchReply);
    }
  });
  port.postMessage('ready');
}
