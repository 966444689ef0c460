/**
 * Signed download links: a browser following a link (`<a href download>`) cannot send the Authorization
 * header, so the API hands out URLs that carry their own short-lived proof instead.
 *
 * - link: `<payload>.<signature>`, both base64url. The payload names the experiment, the paths, the user who
 *   asked and the expiry (seconds since the epoch); the signature is an HMAC-SHA256 of the payload with the
 *   download secret. Changing one byte of either makes the link invalid.
 * - download secret: 32 random bytes kept in the database (secrets/service.ts), so API processes on several
 *   hosts share it and a link signed by one is honoured by the others; `dm secrets rotate-download-key`
 *   replaces it, which invalidates every link handed out, on every host at once.
 *
 * A valid signature only says who asked and for what: the download itself checks again that the user may
 * still read the experiment (see download-service.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import { defined } from '../errors/defined.ts';

export interface DownloadGrant {
  experimentName: string;
  paths: string[];
  userId: number;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/**
 * @example
 * const link = signDownload(secret, { experimentName: 'xpcs-1', paths: ['a.h5'], userId: 3, expiresAt: 1795000000 });
 * verifyDownload(secret, link, Date.parse(context.now()) / 1000); // the same grant back
 */
export function signDownload(secret: Buffer, grant: DownloadGrant): string {
  const payload = Buffer.from(
    JSON.stringify({ e: grant.experimentName, p: grant.paths, u: grant.userId, x: grant.expiresAt }),
  ).toString('base64url');
  return `${payload}.${signatureOf(secret, payload)}`;
}

/** The grant a link carries, if its signature holds and it has not expired; a 403 or 410 otherwise. */
export function verifyDownload(secret: Buffer, token: string, nowSeconds: number): DownloadGrant {
  const [payload, signature, ...rest] = token.split('.');
  const expected = payload === undefined ? undefined : Buffer.from(signatureOf(secret, payload));
  const given = Buffer.from(signature ?? '');
  if (
    rest.length > 0 ||
    expected === undefined ||
    given.length !== expected.length ||
    !timingSafeEqual(given, expected)
  ) {
    throw new AppError('download_link_invalid', 'this download link is not one the server signed');
  }
  const grant = parsePayload(defined(payload, 'the payload of a checked link'));
  if (grant.expiresAt <= nowSeconds) {
    throw new AppError('download_link_expired', 'this download link has expired: ask for a new one', {
      expiredAt: new Date(grant.expiresAt * 1000).toISOString(),
    });
  }
  return grant;
}

function signatureOf(secret: Buffer, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** Only the server writes payloads, so a signed one that does not parse is a bug, reported as invalid. */
function parsePayload(payload: string): DownloadGrant {
  const value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const { e, p, u, x } = value;
  if (
    typeof e !== 'string' ||
    !Array.isArray(p) ||
    !p.every((path) => typeof path === 'string') ||
    typeof u !== 'number' ||
    typeof x !== 'number'
  ) {
    throw new AppError('download_link_invalid', 'this download link is malformed');
  }
  return { experimentName: e, paths: p as string[], userId: u, expiresAt: x };
}
