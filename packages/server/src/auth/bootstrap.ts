import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { recordAudit } from '../audit/record.ts';
import { systemActorName } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { adminPasswordFileName } from '../system/private-files.ts';
import { generatePassword, hashPassword } from './passwords.ts';

export const adminUsername = 'admin';

export interface AdminBootstrap {
  /** Set only by the start that created the account with a generated password. */
  generatedPassword?: string;
  passwordFile?: string;
}

/**
 * Creates the `admin` account on first start. Its password comes from DM_ADMIN_PASSWORD or is generated,
 * then printed once and written to a 0600 file in the data directory. Two processes starting together on
 * one database create it once: the insert does nothing on conflict, and only its winner reports a password.
 */
export async function ensureAdminAccount(context: ServiceContext): Promise<AdminBootstrap> {
  const { db, settings } = context;
  const existing = await db
    .selectFrom('users')
    .select('id')
    .where('username', '=', adminUsername)
    .executeTakeFirst();
  if (existing) return {};
  const password = settings.adminPassword ?? generatePassword();
  const passwordHash = await hashPassword(password);
  const now = context.now();
  const created = await db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('users')
      .values({
        username: adminUsername,
        display_name: 'Administrator',
        is_admin: 1,
        password_hash: passwordHash,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('username').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (row) {
      await recordAudit(
        trx,
        { actor: systemActorName, requestId: null, now },
        {
          action: 'user.create',
          targetType: 'user',
          targetName: adminUsername,
          details: {
            isAdmin: true,
            password: settings.adminPassword ? '(from DM_ADMIN_PASSWORD)' : '(generated)',
          },
        },
      );
    }
    return row !== undefined;
  });
  if (!created || settings.adminPassword !== undefined) return {};
  const passwordFile = join(settings.dataDir, adminPasswordFileName);
  await mkdir(settings.dataDir, { recursive: true, mode: 0o700 });
  await writeFile(`${passwordFile}.tmp`, `${password}\n`, { mode: 0o600 });
  await rename(`${passwordFile}.tmp`, passwordFile);
  context.logger.warn({ passwordFile }, 'created account "admin" with a generated password');
  return { generatedPassword: password, passwordFile };
}
