/**
 * `--skip-pattern` globs (`*.tmp`, `scratch/*`): `*` and `?` within one path segment. A pattern with no `/`
 * is tested against the file name, one with `/` against the path relative to the monitored directory.
 *
 * @example
 * compileSkipPatterns(['*.tmp'])('run1/x.tmp') // true
 */
export function compileSkipPatterns(patterns: readonly string[]): (relativePath: string) => boolean {
  const compiled = patterns.map((pattern) => ({
    onPath: pattern.includes('/'),
    regex: new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')}$`,
    ),
  }));
  return (relativePath) => {
    const name = relativePath.slice(relativePath.lastIndexOf('/') + 1);
    return compiled.some(({ onPath, regex }) => regex.test(onPath ? relativePath : name));
  };
}
