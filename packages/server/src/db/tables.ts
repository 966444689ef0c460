/**
 * The database as Kysely sees it.
 *
 * Glossary:
 * - user: a person (or service account) who can sign in; `unix_account` maps them to a POSIX account for
 *   storage ACLs and for running jobs.
 * - api token: a bearer secret; only its SHA-256 is stored. `session` tokens come from `dm login`,
 *   `api` tokens from `dm token create`.
 * - station: a beamline or end station; its managers run its experiments.
 * - source root: a directory below which a station's uploads and DAQs may read (admins keep the list).
 * - experiment: one allocation of beam time at a station, with its members (PI and users) and a storage tree.
 * - audit event: one mutating call, written in the same transaction as the change it records.
 * - file: a cataloged file of an experiment, by its path relative to the experiment's data directory.
 * - upload: one run that takes an existing directory into an experiment's storage, file by file.
 * - DAQ: a monitor that takes every new file of a directory, as soon as it is complete, until stopped.
 * - processing request: a workflow to run on a file, recorded by a DAQ until the workflow engine runs it.
 * - event: one thing that happened (a job or DAQ changed status, a file was cataloged), appended to the
 *   event log in the transaction of the change and streamed live by `GET /api/v1/events`.
 * - DAQ agent: `dm daq-agent` on a beamline machine; it runs the DAQs assigned to its name (mode `agent`).
 * - staging file: a file an agent is sending over HTTP, kept in the experiment's system directory until it
 *   is complete and verified, then renamed into place.
 *
 * Timestamps are ISO-8601 UTC strings (`Date#toISOString`) on both databases: they sort as text, and the two
 * drivers then return the same JavaScript type. Flags are integers 0/1 for the same reason.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type {
  JobProcessesTable,
  JobStagesTable,
  JobsTable,
  WorkflowRevisionsTable,
  WorkflowsTable,
} from './job-tables.ts';

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
  /** Most processes one parallel stage of this user's jobs runs at once; null: the site's limit alone. */
  max_stage_processes: number | null;
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
  /** The unix account (the beamline's data account) its sources are checked as; null: `stageAccount`. */
  source_account: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A compute site (sites/): `connection` and `defaults` are JSON, `encrypted_secrets` sites/secret-box.ts. */
export interface SitesTable {
  id: Generated<number>;
  name: string;
  kind: string;
  description: string | null;
  enabled: number;
  connection: string;
  defaults: string;
  encrypted_secrets: string | null;
  work_dir: string | null;
  staging: string;
  remote_storage_root: string | null;
  max_running: number | null;
  created_at: string;
  updated_at: string;
}

/** A directory (real path, no symbolic links) below which the station's uploads and DAQs may read. */
export interface StationSourceRootsTable {
  station_id: number;
  path: string;
  created_by: string;
  created_at: string;
}

export interface StationManagersTable {
  station_id: number;
  user_id: number;
  created_at: string;
}

/** A unix account a station's workflows may run as; admins keep the list (stations/accounts-service.ts). */
export interface StationAccountsTable {
  station_id: number;
  account: string;
  added_by: string;
  added_at: string;
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

export type FileStatus = 'stored';
export type FileOriginType = 'upload' | 'daq' | 'manual';

export interface FilesTable {
  id: Generated<number>;
  experiment_id: number;
  /** POSIX path relative to the experiment's data directory. */
  path: string;
  size: number;
  mtime: string;
  md5: string;
  sha256: string;
  status: FileStatus;
  /** Where the file came from (absolute path on the beamline machine). */
  source: string | null;
  origin_type: FileOriginType;
  origin_id: number | null;
  transfer_ms: number | null;
  /** User metadata and what the file carries (HDF5 attributes...), one flat map. */
  metadata: ColumnType<unknown, string, string>;
  created_at: string;
  updated_at: string;
}

/**
 * One top-level key of one file's metadata, kept in step with `files.metadata` in the transaction that
 * writes the record (catalog/summary-store.ts), so that searches find metadata through an index. Only a
 * string has a `value_text`, only a number a `value_number`; other values (true, null, lists) only exist.
 */
export interface FileMetadataTable {
  file_id: number;
  experiment_id: number;
  key: string;
  value_text: string | null;
  /** numeric on PostgreSQL, returned by node-postgres as a string. */
  value_number: ColumnType<number | string | null, number | null, number | null>;
}

/** How many files of an experiment have each metadata key, kept by increments (never read-modify-write). */
export interface FileMetadataKeysTable {
  experiment_id: number;
  key: string;
  /** 0 once the last file with the key is gone: the row stays, listings skip it. */
  file_count: number;
}

/** How many files an experiment has and their total size, kept by increments like the key counts. */
export interface FileTotalsTable {
  experiment_id: number;
  file_count: number;
  byte_count: number;
}

/** pending → running → done | failed | aborted (APS names). */
export type UploadStatus = 'pending' | 'running' | 'done' | 'failed' | 'aborted';

export interface UploadsTable {
  id: Generated<number>;
  experiment_id: number;
  data_directory: string;
  dest_directory: string;
  reprocess: number;
  status: UploadStatus;
  n_files: number;
  n_processed_files: number;
  n_skipped_files: number;
  n_processing_errors: number;
  n_bytes: number;
  n_processed_bytes: number;
  last_error: string | null;
  /** The first errors, `[{path, error}]`, so a failed file is reported, not only counted. */
  errors: ColumnType<unknown, string, string>;
  created_by: string;
  /** The unix account its source is checked as (see sources/); null: started by an admin. */
  source_account: ColumnType<string | null, string | null | undefined, string | null>;
  /** Which process works on it, until when: a crashed process' upload is taken over when this passes. */
  lease_owner: string | null;
  lease_expires_at: string | null;
  submitted_at: string;
  start_time: string | null;
  end_time: string | null;
  updated_at: string;
}

export type DaqStatus = 'pending' | 'running' | 'done' | 'failed' | 'aborted';

/** Who monitors the directory: the server's own runner, or the DAQ agent named in `agent_name`. */
export type DaqMode = 'server' | 'agent';

export interface DaqsTable {
  id: Generated<number>;
  experiment_id: number;
  data_directory: string;
  dest_directory: string;
  skip_patterns: ColumnType<unknown, string, string>;
  /** A file is complete once its size and mtime have not changed for this long. */
  settle_ms: number;
  new_only: number;
  overwrite: number;
  workflow: string | null;
  workflow_args: ColumnType<unknown, string, string>;
  status: DaqStatus;
  /** When it stops by itself (`--duration`). */
  stop_at: string | null;
  n_processing_errors: number;
  last_error: string | null;
  errors: ColumnType<unknown, string, string>;
  created_by: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  submitted_at: string;
  start_time: string | null;
  end_time: string | null;
  updated_at: string;
  mode: ColumnType<DaqMode, DaqMode | undefined, DaqMode>;
  /** The host name of the agent that runs it (mode `agent`); null for the server's own DAQs. */
  agent_name: string | null;
  /** The unix account its source is checked as (see sources/); null: started by an admin. */
  source_account: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A file version an agent is sending: its bytes are in `system/daq-staging/<daq>/<id>` until committed. */
export interface DaqStagingTable {
  id: Generated<number>;
  daq_id: number;
  path: string;
  size: number;
  mtime: string;
  created_at: string;
}

export interface ProcessingRequestsTable {
  id: Generated<number>;
  experiment_id: number;
  file_path: string;
  workflow: string;
  workflow_args: ColumnType<unknown, string, string>;
  origin_type: FileOriginType;
  origin_id: number;
  /** `waiting_for_engine` until the engine turns it into a job (`job_started`), or `failed` with `error`. */
  status: string;
  created_at: string;
  job_id: ColumnType<number | null, number | undefined, number | null>;
  error: ColumnType<string | null, string | undefined, string | null>;
}

export interface EventsTable {
  id: Generated<number>;
  /** `concept.what`, e.g. `daq.status`, `file.cataloged`: see events/event-types.ts. */
  type: string;
  experiment_id: number | null;
  user_id: number | null;
  subject_id: string | null;
  payload: ColumnType<unknown, string, string>;
  created_at: string;
}

/**
 * server secret: a value every API process must share (the download-link key, as hex), kept here so that
 * hosts on one database agree and a rotation reaches them all.
 */
export interface ServerSecretsTable {
  name: string;
  value: string;
  updated_at: string;
}

export interface Database {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  stations: StationsTable;
  sites: SitesTable;
  station_managers: StationManagersTable;
  station_accounts: StationAccountsTable;
  station_source_roots: StationSourceRootsTable;
  experiment_types: ExperimentTypesTable;
  experiments: ExperimentsTable;
  experiment_members: ExperimentMembersTable;
  audit_events: AuditEventsTable;
  files: FilesTable;
  file_metadata: FileMetadataTable;
  file_metadata_keys: FileMetadataKeysTable;
  file_totals: FileTotalsTable;
  uploads: UploadsTable;
  daqs: DaqsTable;
  daq_staging: DaqStagingTable;
  processing_requests: ProcessingRequestsTable;
  workflows: WorkflowsTable;
  workflow_revisions: WorkflowRevisionsTable;
  jobs: JobsTable;
  job_stages: JobStagesTable;
  job_processes: JobProcessesTable;
  events: EventsTable;
  server_secrets: ServerSecretsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type StationRow = Selectable<StationsTable>;
export type SiteRow = Selectable<SitesTable>;
export type ExperimentRow = Selectable<ExperimentsTable>;
export type ExperimentTypeRow = Selectable<ExperimentTypesTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type FileRow = Selectable<FilesTable>;
export type UploadRow = Selectable<UploadsTable>;
export type DaqRow = Selectable<DaqsTable>;
export type EventRow = Selectable<EventsTable>;
export type DaqStagingRow = Selectable<DaqStagingTable>;
