/**
 * Compute sites: admins define them once (how to reach each, its batch defaults, its secrets); workflows
 * name them per stage. Every signed-in user may see which sites exist and whether they take stages, for
 * choosing one; only admins see how they are reached, and no one sees their secrets again.
 */
import { join } from 'node:path';
import { auditWho, recordAudit } from '../audit/record.ts';
import { requireAdmin } from '../authorization/policy.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { SiteRow } from '../db/tables.ts';
import { AppError, validationFailed } from '../errors/app-error.ts';
import { CursorShape, decodeCursor, type PageQuery, toPage } from '../paging/pages.ts';
import { adapterFor } from './adapters.ts';
import { findSiteByName, localSiteName } from './lookup.ts';
import { siteProblems } from './rules.ts';
import type {
  CreateSiteBody,
  Site,
  SiteConnection,
  SiteDefaults,
  SiteKind,
  SiteSecrets,
  SiteTestReport,
  StagingMode,
  UpdateSiteBody,
} from './schemas.ts';
import { openSecrets, sealSecrets } from './secret-box.ts';
import { testSite } from './site-test.ts';
import * as store from './store.ts';

const builtInLocal = (full: boolean): Site => ({
  name: localSiteName,
  kind: 'local',
  description: 'the host of the jobs role: where stages run unless they name a site',
  enabled: true,
  builtIn: true,
  ...(full && { connection: {}, secretsSet: [], defaults: {}, workDir: null, staging: 'shared' }),
});

export function createSiteService(context: ServiceContext) {
  const { db } = context;
  const { dataDir } = context.settings;

  const secretNamesOf = async (row: SiteRow): Promise<string[]> =>
    row.encrypted_secrets === null
      ? []
      : Object.keys(await openSecrets(dataDir, row.name, row.encrypted_secrets));

  async function present(row: SiteRow, full: boolean): Promise<Site> {
    const site: Site = {
      name: row.name,
      kind: row.kind as SiteKind,
      description: row.description,
      enabled: row.enabled === 1,
      builtIn: false,
    };
    if (!full) return site;
    return {
      ...site,
      connection: JSON.parse(row.connection) as SiteConnection,
      // Which secrets are set, not their values; a key file this host lacks shows as none readable.
      secretsSet: await secretNamesOf(row).catch(() => ['(sealed with another host’s key)']),
      defaults: JSON.parse(row.defaults) as SiteDefaults,
      workDir: row.work_dir,
      staging: row.staging as StagingMode,
      remoteStorageRoot: row.remote_storage_root,
      maxRunning: row.max_running,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async function existing(name: string): Promise<SiteRow> {
    const row = await findSiteByName(db, name);
    if (!row) throw new AppError('site_not_found', `no site "${name}"`, { site: name });
    return row;
  }

  const refuseBuiltIn = (name: string, what: string) => {
    if (name === localSiteName)
      throw new AppError('site_exists', `"local" is the built-in site of this host: it cannot be ${what}`, {
        site: name,
      });
  };

  function check(
    kind: SiteKind,
    connection: SiteConnection,
    secrets: SiteSecrets,
    staging: StagingMode,
  ): void {
    const problems = siteProblems({
      kind,
      connection,
      secrets: new Set(Object.keys(secrets) as (keyof SiteSecrets)[]),
      staging,
    });
    if (problems.length > 0) throw validationFailed(problems);
  }

  const sealed = async (name: string, secrets: SiteSecrets) =>
    Object.keys(secrets).length === 0 ? null : await sealSecrets(dataDir, name, secrets);

  async function audited<T>(
    actor: Actor,
    action: string,
    name: string,
    details: Record<string, unknown>,
    change: (trx: typeof db) => Promise<T>,
  ): Promise<T> {
    const now = context.now();
    return await db.transaction().execute(async (trx) => {
      const result = await change(trx);
      await recordAudit(trx, auditWho(actor, now), { action, targetType: 'site', targetName: name, details });
      return result;
    });
  }

  /** What the audit log keeps of a change: never a secret, only which were written. */
  const withoutSecrets = (input: { secrets?: SiteSecrets }) => {
    const { secrets, ...rest } = input;
    return secrets === undefined ? rest : { ...rest, secretsWritten: Object.keys(secrets) };
  };

  return {
    async create(actor: Actor, input: CreateSiteBody): Promise<Site> {
      requireAdmin(actor.principal, 'add sites');
      refuseBuiltIn(input.name, 'added');
      const connection = input.connection ?? {};
      const secrets = input.secrets ?? {};
      const staging = input.staging ?? 'shared';
      check(input.kind, connection, secrets, staging);
      const values: store.SiteValues = {
        name: input.name,
        kind: input.kind,
        description: input.description ?? null,
        enabled: input.enabled === false ? 0 : 1,
        connection: JSON.stringify(connection),
        defaults: JSON.stringify(input.defaults ?? {}),
        encrypted_secrets: await sealed(input.name, secrets),
        work_dir: input.workDir ?? null,
        staging,
        remote_storage_root: input.remoteStorageRoot ?? null,
        max_running: input.maxRunning ?? null,
      };
      try {
        const row = await audited(actor, 'site.create', input.name, withoutSecrets(input), (trx) =>
          store.insertSite(trx, values, context.now()),
        );
        return await present(row, true);
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError('site_exists', `site "${input.name}" already exists`, { site: input.name });
        throw error;
      }
    },

    async list(actor: Actor, query: PageQuery) {
      const full = actor.principal.isAdmin;
      const afterName = decodeCursor(query.cursor, CursorShape.name);
      const rows = await store.listSites(db, {
        ...(afterName !== undefined && { afterName }),
        limit: query.limit,
      });
      const page = toPage(
        rows,
        query.limit,
        (row) => row.name,
        (row) => row,
      );
      const items = await Promise.all(page.items.map((row) => present(row, full)));
      // The built-in site heads the first page.
      return {
        items: afterName === undefined ? [builtInLocal(full), ...items] : items,
        nextCursor: page.nextCursor,
      };
    },

    async show(actor: Actor, name: string): Promise<Site> {
      if (name === localSiteName) return builtInLocal(actor.principal.isAdmin);
      return await present(await existing(name), actor.principal.isAdmin);
    },

    async update(actor: Actor, name: string, patch: UpdateSiteBody): Promise<Site> {
      requireAdmin(actor.principal, 'change sites');
      refuseBuiltIn(name, 'changed');
      const row = await existing(name);
      const kind = row.kind as SiteKind;
      const connection = patch.connection ?? (JSON.parse(row.connection) as SiteConnection);
      const secrets =
        patch.secrets ??
        (row.encrypted_secrets === null ? {} : await openSecrets(dataDir, name, row.encrypted_secrets));
      const staging = patch.staging ?? (row.staging as StagingMode);
      check(kind, connection, secrets, staging);
      const values: Partial<store.SiteValues> = {
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.enabled !== undefined && { enabled: patch.enabled ? 1 : 0 }),
        ...(patch.connection !== undefined && { connection: JSON.stringify(patch.connection) }),
        ...(patch.defaults !== undefined && { defaults: JSON.stringify(patch.defaults) }),
        ...(patch.secrets !== undefined && { encrypted_secrets: await sealed(name, patch.secrets) }),
        ...(patch.workDir !== undefined && { work_dir: patch.workDir }),
        ...(patch.staging !== undefined && { staging: patch.staging }),
        ...(patch.remoteStorageRoot !== undefined && { remote_storage_root: patch.remoteStorageRoot }),
        ...(patch.maxRunning !== undefined && { max_running: patch.maxRunning }),
      };
      const updated = await audited(actor, 'site.update', name, withoutSecrets(patch), (trx) =>
        store.updateSite(trx, row.id, values, context.now()),
      );
      return await present(updated, true);
    },

    /** Runs `dm site test`'s steps; a failing step is in the report, not an error. */
    async test(actor: Actor, name: string, options: { timeoutSeconds?: number }): Promise<SiteTestReport> {
      requireAdmin(actor.principal, 'test sites');
      if (name === localSiteName)
        throw new AppError(
          'site_unusable',
          'the local site runs stages on this host: there is nothing to test',
        );
      const row = await existing(name);
      const steps = await testSite(adapterFor(row, { dataDir }), {
        directory: row.work_dir ?? join(dataDir, 'site-tests'),
        timeoutMs: (options.timeoutSeconds ?? 120) * 1000,
      });
      return { site: name, ok: steps.every((step) => step.ok), steps };
    },

    async remove(actor: Actor, name: string): Promise<void> {
      requireAdmin(actor.principal, 'remove sites');
      refuseBuiltIn(name, 'removed');
      const row = await existing(name);
      await audited(actor, 'site.delete', name, { kind: row.kind }, (trx) => store.deleteSite(trx, row.id));
    },
  };
}

export type SiteService = ReturnType<typeof createSiteService>;
