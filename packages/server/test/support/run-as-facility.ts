/**
 * The facility the run-as and workflow-scope stories share: two stations with a manager and a listed unix
 * account each, a member of one station's experiment, an outsider, and a forbidden account.
 *
 * - 8-ID-I: manager `mgr8` (unix account `dmra-own`), station account `dmra-s8i`, experiment `xpcs-1` with
 *   `member`.
 * - 2-BM: manager `mgr2`, station account `dmra-s2b`, experiment `tomo-1`.
 * - `dmra-banned` is in DM_FORBIDDEN_ACCOUNTS.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createTestApp, type TestApp } from './test-app.ts';
import type { Backend } from './test-database.ts';
import { ensureUnixAccount, runningAsRoot } from './unix-accounts.ts';

export const skipUnlessRoot = runningAsRoot() ? false : 'switching unix accounts needs root';

export const uidOf = (name: string) => Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());

/** A stage that captures the uid it ran as into `$uid`. */
export const whoAmI = {
  A: { command: 'id -u', outputVariableRegexList: ['^(?P<uid>\\d+)'], workingDir: '/' },
};

export interface RunAsFacility {
  t: TestApp;
  tokens: Record<string, string>;
  upsert(definition: unknown, token?: string, extra?: Record<string, unknown>): ReturnType<TestApp['call']>;
  /** The job once it has ended (done, failed or aborted). */
  // biome-ignore lint/suspicious/noExplicitAny: the job's JSON, asserted on field by field
  finished(id: number): Promise<any>;
}

export async function runAsFacility(backend: Backend): Promise<RunAsFacility> {
  for (const name of ['dmra-s8i', 'dmra-s2b', 'dmra-own', 'dmra-banned']) ensureUnixAccount(name);
  const t = await createTestApp(backend, { DM_FORBIDDEN_ACCOUNTS: 'dmra-banned' });
  const tokens = {
    mgr8: await t.user('mgr8', { unixAccount: 'dmra-own' }),
    mgr2: await t.user('mgr2'),
    member: await t.user('member'),
    outsider: await t.user('outsider'),
  };
  await t.station('8-ID-I', ['mgr8']);
  await t.station('2-BM', ['mgr2']);
  assert.equal((await t.call('PUT', '/api/v1/stations/8-ID-I/accounts/dmra-s8i')).status, 200);
  assert.equal((await t.call('PUT', '/api/v1/stations/2-BM/accounts/dmra-s2b')).status, 200);
  await t.experiment('xpcs-1', '8-ID-I', { users: ['member'] });
  await t.experiment('tomo-1', '2-BM');
  return {
    t,
    tokens,
    upsert: (definition, token, extra = {}) =>
      t.call('POST', '/api/v1/workflows', { body: { definition, ...extra }, token }),
    async finished(id) {
      for (let i = 0; i < 1200; i++) {
        const job = (await t.call('GET', `/api/v1/jobs/${id}`)).body;
        if (['done', 'failed', 'aborted'].includes(job.status)) return job;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`job ${id} did not end`);
    },
  };
}
