/**
 * Site secrets at rest: AES-256-GCM with a 256-bit key in `<data-dir>/site-secrets.key` (0600, made on first
 * use), so that the database (or a dump of it) alone reveals no token. The site's name is the additional
 * authenticated data: a sealed value copied onto another site's row does not open.
 *
 * Several hosts on one PostgreSQL database each need the same key file (docs/sites.md); a host without it
 * can list and change sites but not reach those with secrets, and says which file is missing.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isCode } from '../errors/error-code.ts';
import { siteSecretsKeyFileName } from '../system/private-files.ts';

const format = 'aes-256-gcm-v1';

export class SiteSecretsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SiteSecretsError';
  }
}

export function keyFileOf(dataDir: string): string {
  return join(dataDir, siteSecretsKeyFileName);
}

/**
 * Keys read, by file: listing sites opens each one's secrets, and the key does not change while the server
 * runs (a key file put in place later, where there was none, is still found: only keys read are kept).
 */
const loaded = new Map<string, Buffer>();

/** The key, made if there is none; two processes making it at once end with the same one (link is atomic). */
async function key(dataDir: string, create: boolean): Promise<Buffer> {
  const file = keyFileOf(dataDir);
  const cached = loaded.get(file);
  if (cached !== undefined) return cached;
  const read = async () => {
    const bytes = checked(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64'), file);
    loaded.set(file, bytes);
    return bytes;
  };
  try {
    return await read();
  } catch (error) {
    if (!isCode(error, 'ENOENT')) throw error;
    if (!create)
      throw new SiteSecretsError(
        `the site secrets cannot be opened: ${file} is missing (copy it from the host that stored them)`,
      );
  }
  const partial = `${file}.${process.pid}.partial`;
  // Overwritten if there: only this process has this PID, and one killed before removing its partial file
  // may have had it (a container's server gets the same PID at every start).
  await writeFile(partial, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  try {
    await link(partial, file);
  } catch (error) {
    if (!isCode(error, 'EEXIST')) throw error;
  } finally {
    await rm(partial, { force: true });
  }
  return await read();
}

function checked(bytes: Buffer, file: string): Buffer {
  if (bytes.length !== 32) throw new SiteSecretsError(`${file} does not hold a 256-bit key in base64`);
  return bytes;
}

/** `aes-256-gcm-v1:iv:tag:ciphertext`, the last three base64url. */
export async function sealSecrets(
  dataDir: string,
  site: string,
  secrets: Record<string, string>,
): Promise<string> {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await key(dataDir, true), iv).setAAD(Buffer.from(site));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
  return [format, ...[iv, cipher.getAuthTag(), sealed].map((part) => part.toString('base64url'))].join(':');
}

export async function openSecrets(
  dataDir: string,
  site: string,
  sealed: string,
): Promise<Record<string, string>> {
  const [label, ...parts] = sealed.split(':');
  const [iv, authTag, data] = parts.map((part) => Buffer.from(part, 'base64url'));
  if (label !== format || !iv || !authTag || !data)
    throw new SiteSecretsError(`the secrets of site ${site} are not in a format this server knows`);
  const decipher = createDecipheriv('aes-256-gcm', await key(dataDir, false), iv)
    .setAAD(Buffer.from(site))
    .setAuthTag(authTag);
  try {
    const text = Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    return JSON.parse(text) as Record<string, string>;
  } catch {
    throw new SiteSecretsError(
      `the secrets of site ${site} do not open with ${keyFileOf(dataDir)}: another host's key, or altered`,
    );
  }
}
