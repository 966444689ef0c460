/**
 * Password guessing is slowed: a username, or an address, with too many failed logins is refused with 429
 * until its window passes; people who type their password right never notice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLoginThrottle } from '../src/auth/login-throttle.ts';
import { AppError } from '../src/errors/app-error.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

const minute = 60_000;

function refusal(action: () => void): AppError | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
}

describe('login throttle', () => {
  const setup = () => {
    let now = Date.parse('2026-11-21T10:00:00Z');
    const throttle = createLoginThrottle({ clock: () => now });
    return { throttle, advance: (ms: number) => (now += ms) };
  };

  it('locks a username after 5 failures in 10 minutes, until the oldest leaves the window', () => {
    const { throttle, advance } = setup();
    for (let i = 0; i < 5; i++) {
      assert.equal(
        refusal(() => throttle.check('alice', '10.0.0.1')),
        undefined,
        `attempt ${i + 1}`,
      );
      throttle.recordFailure('alice', '10.0.0.1');
      advance(minute);
    }
    // Five failures at minutes 0..4; now minute 5: locked until minute 10.
    const refused = refusal(() => throttle.check('alice', '10.0.0.2'));
    assert.equal(refused?.code, 'too_many_attempts');
    assert.equal(refused?.status, 429);
    assert.deepEqual(refused?.details, { retryAfterSeconds: 300 });
    assert.equal(
      refusal(() => throttle.check('bob', '10.0.0.1')),
      undefined,
      'other usernames are not locked',
    );
    advance(5 * minute - 1000);
    assert.deepEqual(refusal(() => throttle.check('alice', '10.0.0.1'))?.details, { retryAfterSeconds: 1 });
    advance(1000);
    assert.equal(
      refusal(() => throttle.check('alice', '10.0.0.1')),
      undefined,
      'the window has passed',
    );
  });

  it('forgets failures older than the window', () => {
    const { throttle, advance } = setup();
    for (let i = 0; i < 4; i++) throttle.recordFailure('alice', '10.0.0.1');
    advance(10 * minute);
    throttle.recordFailure('alice', '10.0.0.1');
    assert.equal(
      refusal(() => throttle.check('alice', '10.0.0.1')),
      undefined,
    );
  });

  it('clears a username on success, but not its address', () => {
    const { throttle } = setup();
    for (let i = 0; i < 4; i++) throttle.recordFailure('alice', '10.0.0.1');
    throttle.recordSuccess('alice');
    for (let i = 0; i < 4; i++) throttle.recordFailure('alice', '10.0.0.1');
    assert.equal(
      refusal(() => throttle.check('alice', '10.0.0.1')),
      undefined,
    );
    throttle.recordFailure('alice', '10.0.0.1');
    assert.equal(refusal(() => throttle.check('alice', '10.0.0.1'))?.code, 'too_many_attempts');
  });

  it('locks an address trying many usernames after 50 failures', () => {
    const { throttle } = setup();
    for (let i = 0; i < 49; i++) throttle.recordFailure(`user-${i}`, '10.0.0.66');
    assert.equal(
      refusal(() => throttle.check('admin', '10.0.0.66')),
      undefined,
    );
    throttle.recordFailure('user-49', '10.0.0.66');
    assert.equal(refusal(() => throttle.check('admin', '10.0.0.66'))?.code, 'too_many_attempts');
    assert.equal(
      refusal(() => throttle.check('admin', '10.0.0.7')),
      undefined,
      'other addresses are not',
    );
  });

  it('remembers a bounded number of usernames however many are made up', () => {
    let now = 0;
    const throttle = createLoginThrottle({ clock: () => now, maxKeys: 100, maxFailuresPerAddress: 1e9 });
    for (let i = 0; i < 5; i++) throttle.recordFailure('alice', '10.0.0.1');
    for (let i = 0; i < 1000; i++) {
      now += 1;
      throttle.recordFailure(`made-up-${i}`, '10.0.0.1');
    }
    // alice, seen first, was dropped to keep the bound; the newest keys are still counted.
    assert.equal(
      refusal(() => throttle.check('alice', '10.0.0.2')),
      undefined,
    );
    for (let i = 0; i < 4; i++) throttle.recordFailure('made-up-999', '10.0.0.1');
    assert.equal(refusal(() => throttle.check('made-up-999', '10.0.0.2'))?.code, 'too_many_attempts');
  });
});

describeBackends('login rate limiting', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(backend);
    for (const name of ['alice', 'bob', 'carol']) await t.user(name);
  });
  after(() => t.close());

  const login = (username: string, password: string) =>
    t.call('POST', '/api/v1/auth/login', { token: null, body: { username, password } });

  it('never slows people who type their password right', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await login('alice', 'alice-password')).status, 200);
  });

  it('refuses a guessed username with 429 and Retry-After, even with the right password', async () => {
    for (let i = 0; i < 5; i++) {
      const response = await login('bob', `guess-${i}`);
      assert.equal(response.status, 401, `guess ${i + 1}`);
      assert.equal(response.body.error.code, 'invalid_credentials');
    }
    const refused = await login('bob', 'bob-password');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'too_many_attempts');
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 600, `Retry-After ${refused.headers['retry-after']}`);
    assert.equal(refused.body.error.details.retryAfterSeconds, retryAfter);
    assert.equal((await login('alice', 'alice-password')).status, 200, 'others still sign in');
  });

  it('starts counting afresh after a successful login', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await login('carol', `typo-${i}`)).status, 401);
    assert.equal((await login('carol', 'carol-password')).status, 200);
    for (let i = 0; i < 4; i++) assert.equal((await login('carol', `typo-${i}`)).status, 401);
    assert.equal((await login('carol', 'carol-password')).status, 200);
  });

  // Last: it locks this test client's address for everyone.
  it('refuses an address that sprays guesses over many usernames', async () => {
    let failures = 13; // bob's 5 and carol's 8 above
    for (;;) {
      const response = await login(`made-up-${failures}`, 'password1');
      if (response.status === 429) break;
      assert.equal(response.status, 401);
      failures += 1;
      assert.ok(failures <= 50, 'refused by the 51st attempt');
    }
    assert.equal(failures, 50);
    const refused = await login('alice', 'alice-password');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'too_many_attempts');
  });
});
