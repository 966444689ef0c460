import type { CreateTableBuilder, Kysely } from 'kysely';
import type { DialectProfile } from '../profile.ts';

export interface Migration {
  up(db: Kysely<unknown>): Promise<void>;
}

/** An integer surrogate key: AUTOINCREMENT on SQLite (ids never reused), an identity column on PostgreSQL. */
export function addIdColumn<T extends string>(
  profile: DialectProfile,
  table: CreateTableBuilder<T, never>,
): CreateTableBuilder<T, 'id'> {
  switch (profile.name) {
    case 'sqlite':
      return table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
    case 'postgres':
      return table.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity());
    default: {
      const never: never = profile.name;
      throw new Error(`unknown dialect ${String(never)}`);
    }
  }
}
