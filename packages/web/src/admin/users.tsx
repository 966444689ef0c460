import type { User } from '@photon-dm/client';
import { useState } from 'react';
import { LoadMoreButton } from '../components/load-more-button.tsx';
import { usePagedList } from '../components/paged-list.ts';
import { useSignedIn } from '../session/session.tsx';
import { UserEdit } from './user-edit.tsx';
import { UserNew } from './user-new.tsx';

/** Accounts: find one, add one with a password, change one (admin, disabled, unix account, password). */
export function Users() {
  const { client } = useSignedIn();
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const [editing, setEditing] = useState<User>();
  const users = usePagedList(
    (cursor) => client.users.list({ ...(search && { search }), limit: 100, ...(cursor && { cursor }) }),
    [client, search],
  );

  return (
    <div className="admin-page">
      <UserNew onCreated={users.reload} />
      <section aria-labelledby="users-heading">
        <h2 id="users-heading">Users</h2>
        <search>
          <form
            className="filters"
            onSubmit={(e) => {
              e.preventDefault();
              setSearch(typed.trim());
            }}
          >
            <label className="filter">
              Find users
              <input type="search" value={typed} onChange={(e) => setTyped(e.target.value)} />
            </label>
            <button type="submit">Find</button>
          </form>
        </search>
        <table>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Unix account</th>
              <th scope="col">Rights</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.items.map((user) => (
              <tr key={user.id}>
                <td>{user.username}</td>
                <td>{user.displayName}</td>
                <td>{user.email}</td>
                <td>{user.unixAccount}</td>
                <td>
                  {[user.isAdmin ? 'admin' : '', ...user.managedStations.map((s) => `manages ${s}`)]
                    .filter(Boolean)
                    .join(', ')}
                </td>
                <td>{user.disabled ? <span className="status status-failed">disabled</span> : 'active'}</td>
                <td>
                  <button
                    type="button"
                    className="secondary small"
                    aria-label={`Edit ${user.username}`}
                    onClick={() => setEditing(user)}
                  >
                    Edit
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <LoadMoreButton list={users} />
      </section>
      {editing && (
        <UserEdit
          key={editing.id}
          user={editing}
          onDone={(changed) => {
            setEditing(undefined);
            if (changed) users.reload();
          }}
        />
      )}
    </div>
  );
}
