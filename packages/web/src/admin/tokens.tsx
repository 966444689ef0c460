import { ErrorMessage } from '../components/error-message.tsx';
import { formatTime } from '../components/format.ts';
import { LoadMoreButton } from '../components/load-more-button.tsx';
import { usePagedList } from '../components/paged-list.ts';
import { useFormCall } from '../components/use-form-call.ts';
import { useSignedIn } from '../session/session.tsx';

/** Everyone's tokens (sessions and API tokens); revoking one ends it at once, wherever it is used. */
export function Tokens() {
  const { client } = useSignedIn();
  const tokens = usePagedList(
    (cursor) => client.tokens.list({ all: true, limit: 100, ...(cursor && { cursor }) }),
    [client],
  );
  const revoke = useFormCall();
  return (
    <section className="admin-page" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">Tokens</h2>
      <ErrorMessage error={revoke.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {tokens.items.map((token) => (
            <tr key={token.id}>
              <td>{token.username}</td>
              <td>{token.name}</td>
              <td>{token.kind}</td>
              <td>{formatTime(token.createdAt)}</td>
              <td>{formatTime(token.expiresAt) || 'never'}</td>
              <td>{formatTime(token.lastUsedAt)}</td>
              <td>
                <button
                  type="button"
                  className="danger small"
                  aria-label={`Revoke ${token.username}'s token ${token.name} (${token.id})`}
                  disabled={revoke.busy}
                  onClick={() =>
                    void revoke.run(() => client.tokens.revoke(token.id)).then(() => tokens.reload())
                  }
                >
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <LoadMoreButton list={tokens} />
    </section>
  );
}
