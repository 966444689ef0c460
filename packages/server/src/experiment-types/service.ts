import { type Static, Type } from '@sinclair/typebox';
import { auditWho, recordAudit } from '../audit/record.ts';
import { requireAdmin } from '../authorization/policy.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { ExperimentTypeRow } from '../db/tables.ts';
import { AppError } from '../errors/app-error.ts';
import { Description, Timestamp } from '../http/schemas.ts';
import { CursorShape, decodeCursor, type PageQuery, toPage } from '../paging/pages.ts';

export const ExperimentType = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
});
export type ExperimentType = Static<typeof ExperimentType>;

export const CreateExperimentTypeBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]*$',
      description: 'a type name (XPCS, SAXS, Tomography, ...)',
    }),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);

/** Experiment types (XPCS, SAXS, tomography, ...): a small vocabulary admins keep. */
export function createExperimentTypeService(context: ServiceContext) {
  const { db } = context;
  return {
    async create(actor: Actor, input: Static<typeof CreateExperimentTypeBody>): Promise<ExperimentType> {
      requireAdmin(actor.principal, 'add experiment types');
      const now = context.now();
      try {
        const row = await db.transaction().execute(async (trx) => {
          const inserted = await trx
            .insertInto('experiment_types')
            .values({ name: input.name, description: input.description ?? null, created_at: now })
            .returningAll()
            .executeTakeFirstOrThrow();
          await recordAudit(trx, auditWho(actor, now), {
            action: 'experiment_type.create',
            targetType: 'experiment_type',
            targetName: input.name,
            details: { ...input },
          });
          return inserted;
        });
        return present(row);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new AppError('experiment_type_exists', `experiment type "${input.name}" already exists`, {
            type: input.name,
          });
        }
        throw error;
      }
    },

    async list(_actor: Actor, query: PageQuery) {
      const after = decodeCursor(query.cursor, CursorShape.name);
      let select = db
        .selectFrom('experiment_types')
        .selectAll()
        .orderBy('name')
        .limit(query.limit + 1);
      if (after !== undefined) select = select.where('name', '>', after);
      return toPage(await select.execute(), query.limit, (row) => row.name, present);
    },
  };
}

export type ExperimentTypeService = ReturnType<typeof createExperimentTypeService>;

function present(row: ExperimentTypeRow): ExperimentType {
  return { id: row.id, name: row.name, description: row.description, createdAt: row.created_at };
}
