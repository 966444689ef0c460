/**
 * Job arguments as APS users type them (`dm-start-processing-job ... filePath:/data/a.h5 mode:fast`), and as
 * `key=value` like the rest of `dm`.
 */
import { UsageError } from './context.ts';

export interface ParsedJobArguments {
  arguments: Record<string, string>;
  /** `experimentName:...` given as an argument, as APS scripts do. */
  experimentName?: string;
}

// The first `:` or `=` after a name separates it from the value, so values keep theirs (`t:12:00`, `q=a=b`).
const argumentPattern = /^([A-Za-z_][A-Za-z0-9_]*)[:=](.*)$/s;

/**
 * Splits `key:value` and `key=value` words. `experimentName` is the job's own field (`--experiment`), not an
 * argument. `filePath:/any/path` stays an argument, as APS passes a file that is not cataloged; a cataloged
 * file is `--file-path` (relative to the experiment's data directory).
 *
 * @example
 * parseJobArguments(['experimentName:e1', 'mode=fast', 'when:12:00'])
 * // { arguments: { mode: 'fast', when: '12:00' }, experimentName: 'e1' }
 */
export function parseJobArguments(words: readonly string[]): ParsedJobArguments {
  const parsed: ParsedJobArguments = { arguments: {} };
  for (const word of words) {
    const match = argumentPattern.exec(word);
    if (!match) {
      throw new UsageError(
        `job argument "${word}" is not key:value or key=value (a key is a name like fileName)`,
      );
    }
    const [, key, value] = match as unknown as [string, string, string];
    if (key === 'experimentName') parsed.experimentName = value;
    else if (Object.hasOwn(parsed.arguments, key))
      throw new UsageError(`job argument "${key}" is given twice`);
    else parsed.arguments[key] = value;
  }
  return parsed;
}

/**
 * An option and the same value given as an argument must agree; one of them is enough.
 *
 * @example
 * pickOne('--experiment', undefined, 'e1') // 'e1'
 */
export function pickOne(
  option: string,
  fromOption: string | undefined,
  fromArgument: string | undefined,
): string | undefined {
  if (fromOption !== undefined && fromArgument !== undefined && fromOption !== fromArgument) {
    throw new UsageError(`${option} "${fromOption}" and the argument "${fromArgument}" disagree`);
  }
  return fromOption ?? fromArgument;
}
