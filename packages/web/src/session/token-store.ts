/**
 * Where the portal keeps its session token: sessionStorage, so a token lives as long as the tab and is not
 * shared with other tabs or left behind on a shared beamline workstation when the browser closes.
 */
const key = 'photon-dm.session';

export interface StoredSession {
  token: string;
  expiresAt: string | null;
}

export function loadSession(): StoredSession | undefined {
  try {
    const text = sessionStorage.getItem(key);
    return text === null ? undefined : (JSON.parse(text) as StoredSession);
  } catch {
    return undefined;
  }
}

export function saveSession(session: StoredSession): void {
  sessionStorage.setItem(key, JSON.stringify(session));
}

export function forgetSession(): void {
  sessionStorage.removeItem(key);
}
