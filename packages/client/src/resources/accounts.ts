import { path, type Transport } from '../transport.ts';
import type {
  CreateTokenInput,
  CreateUserInput,
  IssuedToken,
  Page,
  Token,
  TokenListQuery,
  UpdatedUser,
  UpdateUserInput,
  User,
  UserListQuery,
} from '../types.ts';

const base = '/api/v1';

/**
 * `/tokens`: long-lived API tokens for scripts, and the sessions made by login.
 *
 * @example
 * const issued = await client.tokens.create({ name: 'nightly-reduction', expiresIn: '90d' });
 */
export class TokensApi {
  constructor(private readonly transport: Transport) {}

  /** Your tokens; admins get everyone's with `all: true`. */
  list(query: TokenListQuery = {}): Promise<Page<Token>> {
    return this.transport.request('GET', `${base}/tokens`, { query: { ...query } });
  }

  /** The returned `token` is the secret; the server never shows it again. */
  create(input: CreateTokenInput): Promise<IssuedToken> {
    return this.transport.request('POST', `${base}/tokens`, { body: input });
  }

  revoke(id: number): Promise<void> {
    return this.transport.request('DELETE', base + path`/tokens/${id}`);
  }
}

/**
 * `/users`: accounts. Admins create them; users may change their own email, display name and password.
 *
 * @example
 * await client.users.create({ username: 'alice', email: 'alice@example.org' });
 * await client.users.update('alice', { displayName: null }); // null clears
 */
export class UsersApi {
  constructor(private readonly transport: Transport) {}

  /** Admins and station managers see everyone, others only themselves. */
  list(query: UserListQuery = {}): Promise<Page<User>> {
    return this.transport.request('GET', `${base}/users`, { query: { ...query } });
  }

  create(input: CreateUserInput): Promise<User> {
    return this.transport.request('POST', `${base}/users`, { body: input });
  }

  show(username: string): Promise<User> {
    return this.transport.request('GET', base + path`/users/${username}`);
  }

  /** A new password signs out the user's other sessions; the answer's `sessionsRevoked` says how many. */
  update(username: string, changes: UpdateUserInput): Promise<UpdatedUser> {
    return this.transport.request('PATCH', base + path`/users/${username}`, { body: changes });
  }
}
