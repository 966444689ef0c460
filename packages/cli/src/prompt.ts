/**
 * Talking to the person at the terminal: passwords without echo, confirmations. Prompts go to stderr so
 * that stdout stays clean for `--json` and pipes.
 */
import { createInterface } from 'node:readline/promises';

export interface Terminal {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stderr: { write(text: string): unknown };
}

/** Thrown when the person presses Ctrl-C at a prompt; the shell convention is exit code 130. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor() {
    super('interrupted');
  }
}

/**
 * All of stdin as text.
 *
 * @example
 * const csv = await readAll(process.stdin);
 */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A password piped in (`--password-stdin`, as `docker login` does): the first line, since `echo pw |` adds
 * a newline that is not part of the password.
 *
 * @example
 * const password = await readPasswordFromStdin(process.stdin);
 */
export async function readPasswordFromStdin(stream: NodeJS.ReadableStream): Promise<string> {
  const text = await readAll(stream);
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password === '') throw new Error('no password on stdin');
  return password;
}

/**
 * The password typed at the terminal without echo, or read from stdin when it is not a terminal.
 *
 * @example
 * const password = await askPassword(terminal, 'Password for admin: ');
 */
export async function askPassword(terminal: Terminal, question: string): Promise<string> {
  const { stdin, stderr } = terminal;
  if (!stdin.isTTY || !stdin.setRawMode) return readPasswordFromStdin(stdin);
  const setRawMode = stdin.setRawMode.bind(stdin);
  stderr.write(question);
  return new Promise((resolve, reject) => {
    let answer = '';
    const finish = (error?: Error) => {
      stdin.removeListener('data', onData);
      setRawMode(false);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else if (answer === '') reject(new Error('no password given'));
      else resolve(answer);
    };
    // Raw mode delivers keys one by one and leaves editing to us; only what a password needs is handled.
    const onData = (chunk: Buffer | string) => {
      for (const key of chunk.toString()) {
        if (key === '\r' || key === '\n' || key === '\u0004') return finish();
        if (key === '\u0003') return finish(new InterruptedError());
        if (key === '\u007f' || key === '\b') answer = [...answer].slice(0, -1).join('');
        else if (key >= ' ') answer += key;
      }
    };
    setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/**
 * Asks a yes/no question; only `y` or `yes` counts as yes.
 *
 * @example
 * if (!(await confirm(terminal, 'Delete experiment e1? [y/N] '))) return;
 */
export async function confirm(terminal: Terminal, question: string): Promise<boolean> {
  const lines = createInterface({ input: terminal.stdin, output: terminal.stderr as NodeJS.WritableStream });
  try {
    const answer = await lines.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    lines.close();
  }
}
