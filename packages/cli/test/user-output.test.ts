import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UpdatedUser } from '@photon-dm/client';
import { renderUpdatedUser, renderUser } from '../src/commands/user.ts';

const user: UpdatedUser = {
  id: 2,
  username: 'paul',
  email: null,
  displayName: 'Paul',
  unixAccount: null,
  isAdmin: false,
  disabled: false,
  managedStations: [],
  maxStageProcesses: null,
  createdAt: '2026-12-07T10:00:00.000Z',
  updatedAt: '2026-12-07T11:00:00.000Z',
};

describe('dm user update', () => {
  it('should say how many sessions a new password signed out, and that API tokens stay', () => {
    const text = renderUpdatedUser({ ...user, sessionsRevoked: 2 });
    assert.ok(text.startsWith(renderUser(user)));
    assert.match(text, /Password changed: 2 other sessions signed out; API tokens stay valid/);
    assert.match(renderUpdatedUser({ ...user, sessionsRevoked: 1 }), /1 other session signed out/);
  });

  it('should print the account alone when the password did not change', () => {
    assert.equal(renderUpdatedUser(user), renderUser(user));
  });
});
