/**
 * Where the portal keeps its session token: localStorage, so a job or a file opened in a new tab is signed
 * in too (a tab-scoped token made people sign in again for every link they opened beside the page). Signing
 * out removes it, and every open tab follows (session.tsx listens for that); the token itself expires after
 * the server's session lifetime.
 */
export const sessionKey = 'photon-dm.session';
const key = sessionKey;

export interface StoredSession {
  token: string;
  expiresAt: string | null;
}

export function loadSession(): StoredSession | undefined {
  try {
    const text = localStorage.getItem(key);
    return text === null ? undefined : (JSON.parse(text) as StoredSession);
  } catch {
    return undefined;
  }
}

export function saveSession(session: StoredSession): void {
  localStorage.setItem(key, JSON.stringify(session));
}

export function forgetSession(): void {
  localStorage.removeItem(key);
}
