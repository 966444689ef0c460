/**
 * Values an attacker would give a stage: every shell metacharacter, commands that leave a marker file if
 * they ever run, newlines, a long one. Tests check a stage saw each exactly and the marker never appeared.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApp } from './test-app.ts';
import { until } from './wait.ts';

export const metacharacters = [...';|&$`()<>*?[]{}~#!\\\'" \t'];

/** The name of the file an injected command creates in its working directory (no '/' so a file may hold it). */
export const markerName = 'INJECTED';

/** Values without '/', so that each can also be a file name. */
export function hostileValues(options: { newlines: boolean }): string[] {
  const values = [
    metacharacters.join(''),
    ...metacharacters.map((c) => `a${c}b`),
    `x; touch ${markerName}`,
    `x && touch ${markerName}`,
    `x | touch ${markerName}`,
    `$(touch ${markerName})`,
    `\`touch ${markerName}\``,
    `"; touch ${markerName}; "`,
    `'; touch ${markerName}; '`,
    `\${IFS}$(touch\${IFS}${markerName})`,
    'scan;id;.dat',
    'scan$(id -u).dat',
    'scan`whoami`.dat',
    '*',
    ' leading and trailing ',
    '-n',
  ];
  if (options.newlines) values.push(`a\ntouch ${markerName}\nb`, '\n\n', 'a\rb');
  return values;
}

/** A directory every account may write into (a stage may run as another unix account). */
export function openDirectory(path: string): string {
  mkdirSync(path, { recursive: true });
  chmodSync(path, 0o1777);
  return path;
}

export function assertNothingRan(directory: string): void {
  assert.equal(existsSync(join(directory, markerName)), false, `an injected command ran in ${directory}`);
}

/** A job's record once it has ended (bounded generously: the machine is shared). */
export async function finishedJob(t: TestApp, id: number) {
  return until(
    async () => {
      const job = (await t.call('GET', `/api/v1/jobs/${id}`)).body;
      return ['done', 'failed', 'aborted'].includes(job.status) && job;
    },
    { timeout: 120_000, interval: 50, message: `job ${id} ends` },
  );
}

export async function upsertWorkflow(t: TestApp, definition: Record<string, unknown>) {
  const response = await t.call('POST', '/api/v1/workflows', { body: { definition } });
  assert.ok([200, 201].includes(response.status), JSON.stringify(response.body));
}

export async function startJob(t: TestApp, body: Record<string, unknown>): Promise<number> {
  const response = await t.call('POST', '/api/v1/jobs', { body });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.id;
}
