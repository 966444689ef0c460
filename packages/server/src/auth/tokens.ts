import { createHash, randomBytes } from 'node:crypto';

/**
 * API tokens are 256 random bits, so a fast hash is enough to store them (a slow KDF protects low-entropy
 * passwords; it would only slow down every request here). The `dm_` prefix lets secret scanners find leaks.
 */
export function generateToken(): { token: string; hash: string } {
  const token = `dm_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
