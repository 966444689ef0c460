/**
 * Backslash escapes of Python string literals, shared by the `.py` workflow files and the conditions.
 * Python keeps an unknown escape as it is (`'\d'` is a backslash and a d), which regexes in workflow files
 * rely on; so does this.
 */

const simpleEscapes: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

export type DecodedEscape = { text: string; next: number } | { error: string };

/**
 * Decodes the escape whose backslash is at `source[index]`: its text and where the source goes on.
 *
 * @example
 * decodeEscape('a\\x41b', 1) // { text: 'A', next: 5 }
 * decodeEscape('\\d+', 0) // { text: '\\', next: 1 }: kept, the `d` is read as plain text
 */
export function decodeEscape(source: string, index: number): DecodedEscape {
  const letter = source[index + 1];
  if (letter === undefined) return { error: 'a backslash ends the string' };
  if (letter === '\n') return { text: '', next: index + 2 };
  if (letter === '\r') return { text: '', next: source[index + 2] === '\n' ? index + 3 : index + 2 };
  const simple = simpleEscapes[letter];
  if (simple !== undefined) return { text: simple, next: index + 2 };
  const octal = /^[0-7]{1,3}/.exec(source.slice(index + 1, index + 4));
  if (octal)
    return { text: String.fromCodePoint(Number.parseInt(octal[0], 8)), next: index + 1 + octal[0].length };
  const hexLength = { x: 2, u: 4, U: 8 }[letter];
  if (hexLength !== undefined) return decodeHex(source, index, letter, hexLength);
  if (letter === 'N') return { error: '\\N{...} escapes are not supported: write the character itself' };
  return { text: '\\', next: index + 1 };
}

function decodeHex(source: string, index: number, letter: string, length: number): DecodedEscape {
  const digits = source.slice(index + 2, index + 2 + length);
  if (!new RegExp(`^[0-9A-Fa-f]{${length}}$`).test(digits)) {
    return { error: `\\${letter} must be followed by ${length} hexadecimal digits` };
  }
  const codePoint = Number.parseInt(digits, 16);
  if (codePoint > 0x10ffff) return { error: `\\${letter}${digits} is beyond the last Unicode character` };
  return { text: String.fromCodePoint(codePoint), next: index + 2 + length };
}
