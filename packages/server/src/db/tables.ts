/**
 * The database as Kysely sees it.
 *
 * Glossary:
 * - user: a person (or service account) who can sign in; `unix_account` maps them to a POSIX account for
 *   storage ACLs and for running jobs.
 * - api token: a bearer secret; only its SHA-256 is stored. `session` tokens come from `dm login`,
 *   `api` tokens from `dm token create`.
 * - station: a beamline or end station; its managers run its experiments.
 * - experiment: one allocation of beam time at a station, with its members (PI and users) and a storage tree.
 * - audit event: one mutating call, written in the same transaction as the change it records.
 *
 * Timestamps are ISO-8601 UTC strings (`Date#toISOString`) on both databases: they sort as text, and the two
 * drivers then return the same JavaScript type. Flags are integers 0/1 for the same reason.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string | null;
  display_name: string | null;
  unix_account: string | null;
  is_admin: number;
  password_hash: string | null;
  created_at: string;
  updated_at: string;
  disabled_at: string | null;
}

export type TokenKind = 'session' | 'api';

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  kind: TokenKind;
  token_hash: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface StationsTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface StationManagersTable {
  station_id: number;
  user_id: number;
  created_at: string;
}

export interface ExperimentTypesTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  created_at: string;
}

/** planned → running → stopped, and a stopped experiment may run again. */
export type ExperimentStatus = 'planned' | 'running' | 'stopped';

/**
 * The experiment's storage tree, as an intent log: the row is committed as `pending` before any directory is
 * made and as `deleting` before any is removed, so after a crash the reconciler knows what to finish and no
 * directory ever exists for an experiment the database does not know.
 */
export type StorageState = 'pending' | 'ready' | 'deleting';

export interface ExperimentsTable {
  id: Generated<number>;
  name: string;
  station_id: number;
  type_id: number | null;
  description: string | null;
  status: ExperimentStatus;
  start_date: string | null;
  end_date: string | null;
  storage_state: StorageState;
  created_at: string;
  updated_at: string;
}

export type ExperimentRole = 'pi' | 'user';

export interface ExperimentMembersTable {
  experiment_id: number;
  user_id: number;
  role: ExperimentRole;
  created_at: string;
}

export interface AuditEventsTable {
  id: Generated<number>;
  occurred_at: string;
  actor: string;
  action: string;
  target_type: string;
  target_name: string;
  station_name: string | null;
  experiment_name: string | null;
  /** JSON text on SQLite, jsonb on PostgreSQL: see `encodeJson`/`decodeJson`. */
  details: ColumnType<unknown, string, string>;
  request_id: string | null;
}

export interface Database {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  stations: StationsTable;
  station_managers: StationManagersTable;
  experiment_types: ExperimentTypesTable;
  experiments: ExperimentsTable;
  experiment_members: ExperimentMembersTable;
  audit_events: AuditEventsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type StationRow = Selectable<StationsTable>;
export type ExperimentRow = Selectable<ExperimentsTable>;
export type ExperimentTypeRow = Selectable<ExperimentTypesTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
