/**
 * Who is signed in, and the API client acting for them. The client's fetch watches every answer: a 401 from
 * a signed-in call means the session expired or was revoked, and the portal goes back to the sign-in page
 * (keeping where the user was, so they return there).
 */
import { type IssuedToken, PhotonClient, type User } from '@photon-dm/client';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { forgetSession, loadSession, saveSession, sessionKey } from './token-store.ts';

export type SessionState =
  | { status: 'checking' }
  | { status: 'signed-out'; reason?: 'expired' | 'signed-out' }
  | { status: 'signed-in'; user: User; expiresAt: string | null };

interface SessionValue {
  state: SessionState;
  client: PhotonClient;
  signIn(username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  /** Reads the user again (after their rights changed). */
  refresh(): Promise<void>;
}

const SessionContext = createContext<SessionValue | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'checking' });

  const client = useMemo(() => {
    const watchingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const authorized = new Headers(init?.headers).has('authorization');
      if (response.status === 401 && authorized) {
        forgetSession();
        setState({ status: 'signed-out', reason: 'expired' });
      }
      return response;
    };
    return new PhotonClient({ server: window.location.origin, fetch: watchingFetch });
  }, []);

  const adopt = useCallback(
    async (token: string, expiresAt: string | null) => {
      client.setToken(token);
      const user = await client.whoami();
      saveSession({ token, expiresAt });
      setState({ status: 'signed-in', user, expiresAt });
    },
    [client],
  );

  useEffect(() => {
    const stored = loadSession();
    if (stored === undefined) {
      setState({ status: 'signed-out' });
      return;
    }
    adopt(stored.token, stored.expiresAt).catch(() => {
      forgetSession();
      client.setToken(undefined);
      setState({ status: 'signed-out', reason: 'expired' });
    });
  }, [adopt, client]);

  // Signing out in one tab signs out every tab: they share the stored token.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key !== sessionKey || event.newValue !== null) return;
      client.setToken(undefined);
      setState({ status: 'signed-out', reason: 'signed-out' });
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [client]);

  // A session token has an expiry: sign out when it passes rather than fail on the next click.
  useEffect(() => {
    if (state.status !== 'signed-in' || state.expiresAt === null) return;
    const left = Date.parse(state.expiresAt) - Date.now();
    const timer = setTimeout(
      () => {
        forgetSession();
        client.setToken(undefined);
        setState({ status: 'signed-out', reason: 'expired' });
      },
      Math.max(0, Math.min(left, 2 ** 31 - 1)),
    );
    return () => clearTimeout(timer);
  }, [state, client]);

  const value = useMemo<SessionValue>(
    () => ({
      state,
      client,
      async signIn(username, password) {
        const issued: IssuedToken = await client.login({ username, password, tokenName: 'portal' });
        await adopt(issued.token, issued.expiresAt);
      },
      async signOut() {
        await client.logout().catch(() => undefined);
        forgetSession();
        client.setToken(undefined);
        setState({ status: 'signed-out', reason: 'signed-out' });
      },
      async refresh() {
        const user = await client.whoami();
        setState((previous) => (previous.status === 'signed-in' ? { ...previous, user } : previous));
      },
    }),
    [state, client, adopt],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (value === undefined) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in user and the client; only for views under the signed-in layout. */
export function useSignedIn(): { user: User; client: PhotonClient } {
  const { state, client } = useSession();
  if (state.status !== 'signed-in') throw new Error('useSignedIn while signed out');
  return { user: state.user, client };
}

/** Staff: admins and managers of at least one station (the API decides per station; this only hides UI). */
export function isStaff(user: User): boolean {
  return user.isAdmin || user.managedStations.length > 0;
}
