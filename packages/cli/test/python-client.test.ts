/**
 * The Python client's own suite (`python3 -m unittest discover clients/python/tests`), run as part of
 * `npm test`: it starts a real `dm serve` from this checkout and drives it from Python.
 *
 * Skipped with the reason when python3 is missing, except under CI=true, where a skipped suite would look
 * green while proving nothing (as scripts/test.ts does for PostgreSQL).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from './dm-process.ts';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const python = process.env.DM_TEST_PYTHON ?? 'python3';

function missingPython(): string | undefined {
  const probe = spawnSync(python, ['-c', 'import sys; print(sys.version_info >= (3, 9))'], {
    encoding: 'utf8',
  });
  if (probe.error !== undefined) return `${python} is not installed (${probe.error.message})`;
  if (probe.stdout.trim() !== 'True') return `${python} is older than 3.9`;
  return undefined;
}

const skipReason = missingPython();
if (skipReason !== undefined && inCi)
  throw new Error(`the Python client suite cannot run in CI: ${skipReason}`);

describe('Python client (photon_dm)', { skip: skipReason ?? false, timeout: 600_000 }, () => {
  it('should pass its unittest suite against a real dm serve', async () => {
    const child = spawn(python, ['-m', 'unittest', 'discover', '-v', 'clients/python/tests'], {
      cwd: repositoryRoot,
      // The suite starts `dm serve` with this very node, so it runs on the same version as the other tests.
      env: cleanEnv({ DM_NODE: process.execPath, PYTHONDONTWRITEBYTECODE: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    assert.equal(code, 0, `python3 -m unittest failed:\n${output}`);
    // A suite that found no tests also exits 0.
    assert.match(output, /^Ran [1-9]\d* tests? in /m, output);
  });
});
