/**
 * The download-link key: 32 random bytes kept in the database (secrets/store.ts), read whenever a link is
 * signed or checked, so every API process on the database uses the current key and a rotation invalidates
 * every link handed out before it, on every host, at once.
 *
 * Servers before this one kept the key in `<data-dir>/download-secret`: the first start takes it over (links
 * already handed out keep working until they expire) and removes the file, which would otherwise be a
 * second copy of a secret that no longer rotates.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { auditWho, recordAudit } from '../audit/record.ts';
import { requireAdmin } from '../authorization/policy.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { downloadKeyName, findSecret, insertSecretOnce, replaceSecret } from './store.ts';

export const legacyDownloadSecretFile = 'download-secret';

/** The current key; made (or taken over from the legacy file) on first use. */
export async function currentDownloadKey(context: ServiceContext): Promise<Buffer> {
  const stored = await findSecret(context.db, downloadKeyName);
  if (stored !== undefined) return Buffer.from(stored, 'hex');
  const legacyFile = join(context.settings.dataDir, legacyDownloadSecretFile);
  const legacy = (await readFile(legacyFile, 'utf8').catch(() => '')).trim();
  const value = /^[0-9a-f]{64}$/.test(legacy) ? legacy : randomBytes(32).toString('hex');
  await insertSecretOnce(context.db, downloadKeyName, value, context.now());
  if (legacy !== '') {
    await rm(legacyFile, { force: true });
    context.logger.warn({ file: legacyFile }, 'the download-link key now lives in the database');
  }
  const kept = await findSecret(context.db, downloadKeyName);
  if (kept === undefined) throw new Error('the download-link key could not be stored');
  return Buffer.from(kept, 'hex');
}

export interface RotationReport {
  rotatedAt: string;
}

/** `dm secrets rotate-download-key`: a new key; every link signed with the old one stops working. */
export async function rotateDownloadKey(context: ServiceContext, actor: Actor): Promise<RotationReport> {
  requireAdmin(actor.principal, 'rotate the download-link key');
  const now = context.now();
  await context.db.transaction().execute(async (trx) => {
    await replaceSecret(trx, downloadKeyName, randomBytes(32).toString('hex'), now);
    // The key itself is never written to the audit log.
    await recordAudit(trx, auditWho(actor, now), {
      action: 'secret.rotate',
      targetType: 'secret',
      targetName: downloadKeyName,
    });
  });
  return { rotatedAt: now };
}
