/**
 * The shapes of the Photon DM HTTP API (docs/api.md), as the client sees them on the wire.
 *
 * Glossary:
 * - station: a beamline or instrument (an APS "experiment station"); its managers are the staff who may
 *   register experiments on it.
 * - experiment: one allocation of beam time at a station; it owns a storage tree
 *   (`<storageRoot>/<station>/<experiment>/{data,analysis,system}`) readable only by its users and the
 *   station's staff.
 * - PI: the experiment's principal investigator; an experiment has at most one.
 * - session token: made by `POST /auth/login`, expires after the server's session lifetime.
 * - API token: made by `POST /tokens` for scripts, optionally with an expiry.
 * - page: one slice of a list, `{items, nextCursor}`; `nextCursor` is null on the last page.
 * - upload: a one-off copy of a directory that already exists on the server into an experiment.
 * - DAQ: a directory monitor (APS "data acquisition" service); it takes each file written into a beamline's
 *   directory into an experiment, until stopped or until its duration runs out.
 * - settle time: how long a file's size and modification time must stay unchanged before a DAQ takes it,
 *   so that a file the detector is still writing is not copied half-written.
 *
 * Timestamps are ISO 8601 strings, passed through as the server wrote them.
 */

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** What every list endpoint accepts besides its filters. */
export interface PageQuery {
  /** Page size, 1-1000; the server's default is 100. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** One problem in a `validation_failed` error's `details.fields`. */
export interface FieldProblem {
  /** Path of the field in the request, e.g. `users/1` or `experiments/3/name`. */
  field: string;
  message: string;
}

// Authentication and tokens

export type TokenKind = 'session' | 'api';

export interface Token {
  id: number;
  name: string;
  kind: TokenKind;
  username: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** A token together with its secret, which the server returns only when it is made. */
export interface IssuedToken extends Token {
  token: string;
}

export interface LoginInput {
  username: string;
  password: string;
  /** Shown in `dm token list`, so people can tell their sessions apart. */
  tokenName?: string;
}

export interface CreateTokenInput {
  name: string;
  /** A duration like `12h`, `90d` or `2w`; omitted means the token never expires. */
  expiresIn?: string;
}

export interface TokenListQuery extends PageQuery {
  /** Admins only: everyone's tokens, not just their own. */
  all?: boolean;
}

// Users

export interface User {
  id: number;
  username: string;
  email: string | null;
  displayName: string | null;
  unixAccount: string | null;
  isAdmin: boolean;
  disabled: boolean;
  managedStations: string[];
  /** Most processes one parallel stage of this user's jobs runs at once; null: the site's limit alone. */
  maxStageProcesses: number | null;
  createdAt: string;
  updatedAt: string;
}

/** `users.update`'s answer: the user, and what a new password did to their other sessions. */
export interface UpdatedUser extends User {
  /** Present when the password changed: how many sessions were signed out (API tokens stay valid). */
  sessionsRevoked?: number;
}

export interface CreateUserInput {
  username: string;
  email?: string;
  displayName?: string;
  unixAccount?: string;
  isAdmin?: boolean;
  password?: string;
}

/** `null` clears a field. */
export interface UpdateUserInput {
  email?: string | null;
  displayName?: string | null;
  unixAccount?: string | null;
  isAdmin?: boolean;
  password?: string;
  disabled?: boolean;
  /** Admins only. */
  maxStageProcesses?: number | null;
}

export interface UserListQuery extends PageQuery {
  search?: string;
}

// Stations and experiment types

export interface Station {
  id: number;
  name: string;
  description: string | null;
  managers: string[];
  createdAt: string;
  updatedAt: string;
}

/** `GET /stations/{name}/accounts`: the unix accounts its workflows may run as; admins keep the list. */
export interface StationAccounts {
  station: string;
  accounts: { account: string; addedBy: string; addedAt: string }[];
}

/** Where a station's uploads and DAQs may read (`GET /stations/{name}/source-roots`). */
export interface StationSources {
  station: string;
  /** Real paths; uploads and DAQs not started by admins read only below one of them. */
  sourceRoots: { path: string; createdBy: string; createdAt: string }[];
  /** The station's unix account (its beamline data account), or null for the server's default. */
  sourceAccount: string | null;
  /** The account reads are checked as: `sourceAccount`, else the server's `stageAccount`. */
  checkedAs: string;
}

export interface CreateStationInput {
  name: string;
  description?: string;
}

export interface UpdateStationInput {
  description: string | null;
}

export interface ExperimentType {
  id: number;
  name: string;
  description: string | null;
  createdAt: string;
}

export interface CreateExperimentTypeInput {
  name: string;
  description?: string;
}

// Experiments

export type ExperimentStatus = 'planned' | 'running' | 'stopped';
export type ExperimentRole = 'pi' | 'user';
export type StorageState = 'pending' | 'ready' | 'deleting';

export interface ExperimentMember {
  username: string;
  role: ExperimentRole;
}

/** Field names follow the APS Data Management System, so scripts written for it keep working. */
export interface Experiment {
  id: number;
  name: string;
  description: string | null;
  experimentStation: string;
  experimentType: string | null;
  status: ExperimentStatus;
  startDate: string | null;
  endDate: string | null;
  pi: string | null;
  experimentUsernameList: string[];
  users: ExperimentMember[];
  storageDirectory: string;
  dataDirectory: string;
  analysisDirectory: string;
  systemDirectory: string;
  storageState: StorageState;
  /** Files in the catalog and their total bytes (kept as files come and go). */
  fileCount: number;
  fileBytes: number;
  createdAt: string;
  updatedAt: string;
}

/** The body of `POST /experiments`, and one entry of an import. */
export interface ExperimentInput {
  name: string;
  station: string;
  type?: string;
  description?: string;
  pi?: string;
  users?: string[];
  /** A date (`2026-11-21`) or a timestamp (`2026-11-21T08:00:00Z`). */
  startDate?: string;
  endDate?: string;
}

/** `null` clears a field. */
export interface UpdateExperimentInput {
  type?: string | null;
  description?: string | null;
  startDate?: string | null;
  endDate?: string | null;
}

export interface ExperimentListQuery extends PageQuery {
  station?: string;
  /** Experiments this user is a member of. */
  user?: string;
  status?: ExperimentStatus;
  /** Text in the name or description. */
  search?: string;
  /** The list's order; `-` for descending, ties by name. Default `name`. */
  sort?: ExperimentSort;
}

export type ExperimentSort = `${'' | '-'}${'name' | 'station' | 'status' | 'startDate'}`;

export interface ImportResult {
  created: string[];
  updated: string[];
  unchanged: string[];
}

// Audit

export interface AuditEvent {
  id: number;
  occurredAt: string;
  actor: string | null;
  action: string;
  targetType: string;
  targetName: string;
  stationName: string | null;
  experimentName: string | null;
  details: Record<string, unknown>;
  requestId: string | null;
}

export interface AuditListQuery extends PageQuery {
  experiment?: string;
  user?: string;
  /** e.g. `experiment.create`. */
  action?: string;
}

// Operations

export interface Health {
  status: 'ok';
  version: string;
  database: 'sqlite' | 'postgres';
}

/** A cataloged file, with the APS field names. */
export interface CatalogFile {
  id: number;
  experimentName: string;
  /** Relative to the experiment's data directory. */
  experimentFilePath: string;
  fileName: string;
  fileSize: number;
  fileModificationTime: string;
  md5Sum: string;
  sha256Sum: string;
  storageFilePath: string;
  status: string;
  source: string | null;
  originType: string;
  originId: number | null;
  transferMs: number | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** Signed download URLs, relative to the server (`POST .../files/download-links`). */
export interface DownloadLinks {
  expiresAt: string;
  files: { path: string; fileName: string; url: string }[];
  /** A tar of every file, when more than one was asked for. */
  archive: { fileName: string; url: string } | null;
}

export interface FileSearchQuery {
  pathGlob?: string;
  /** `key op value` (op: = != < <= > >= ~) or `key exists`; all must hold. */
  where?: readonly string[];
}

export interface FileListQuery extends FileSearchQuery, PageQuery {
  sort?: 'path' | '-path' | 'size' | '-size' | 'mtime' | '-mtime';
}

export type UploadStatus = 'pending' | 'running' | 'done' | 'failed' | 'aborted';

/** An upload with the APS field names. */
export interface Upload {
  id: number;
  experimentName: string;
  dataDirectory: string;
  destDirectory: string;
  reprocess: boolean;
  status: UploadStatus;
  nFiles: number;
  nProcessedFiles: number;
  nSkippedFiles: number;
  nProcessingErrors: number;
  nBytes: number;
  nProcessedBytes: number;
  percentageComplete: number;
  lastError: string | null;
  errors: { path: string; error: string }[];
  createdBy: string;
  submissionTime: string;
  startTime: string | null;
  endTime: string | null;
  runTime: number | null;
}

export interface UploadInput {
  experiment: string;
  /** An absolute path on the server. */
  dataDirectory: string;
  destDirectory?: string;
  reprocess?: boolean;
}

export interface UploadListQuery extends PageQuery {
  experiment?: string;
  status?: UploadStatus;
}

export type DaqStatus = 'pending' | 'running' | 'done' | 'failed' | 'aborted';

/** A DAQ with the APS field names; the counters and rates are live while it runs. */
export interface Daq {
  id: number;
  experimentName: string;
  /** The monitored directory, on the server. */
  dataDirectory: string;
  /** Under the experiment's data directory; empty for the data directory itself. */
  destDirectory: string;
  status: DaqStatus;
  /** `agent`: a DAQ agent on a beamline machine monitors `dataDirectory` there. */
  mode: 'server' | 'agent';
  agentName: string | null;
  /** Globs of files never taken: without `/` matched against file names (`*.tmp`), with `/` against paths. */
  skipPatterns: string[];
  settleSeconds: number;
  /** Files older than the DAQ are left alone. */
  newOnly: boolean;
  overwrite: boolean;
  workflow: string | null;
  workflowArgs: Record<string, string>;
  startTime: string | null;
  endTime: string | null;
  /** When the DAQ will stop by itself; null when it runs until stopped. */
  stopTime: string | null;
  /** Files seen so far, taken or not yet. */
  nFiles: number;
  nProcessedFiles: number;
  nProcessingErrors: number;
  nBytes: number;
  lastError: string | null;
  errors: { path: string; error: string }[];
  filesPerSecond: number;
  bytesPerSecond: number;
  createdBy: string;
  submissionTime: string;
}

/** The body of `POST /daqs`. */
export interface DaqInput {
  experiment: string;
  /** An absolute path on the server, or on the agent's machine with `agent`. */
  dataDirectory: string;
  /** The DAQ agent (its name, by default its host name) that monitors the directory; omitted: the server. */
  agent?: string;
  destDirectory?: string;
  skipPatterns?: string[];
  /** 0-3600. */
  settleSeconds?: number;
  newOnly?: boolean;
  /** Stop by itself after this long; omitted means until stopped. */
  durationSeconds?: number;
  overwrite?: boolean;
  workflow?: string;
  workflowArgs?: Record<string, string>;
}

export interface DaqListQuery extends PageQuery {
  experiment?: string;
  status?: DaqStatus;
}

/** A DAQ as the agent that claimed it needs it. */
export interface AgentDaq {
  id: number;
  experimentName: string;
  /** On the agent's machine. */
  dataDirectory: string;
  destDirectory: string;
  skipPatterns: string[];
  settleSeconds: number;
  newOnly: boolean;
  overwrite: boolean;
  startTime: string;
  stopTime: string | null;
  /** The experiment's directory under the storage root (`station/experiment`), for direct copy. */
  storagePath: string;
  leaseSeconds: number;
  /** What the catalog already holds from this DAQ. */
  taken: { path: string; size: number; mtime: string }[];
}

export interface DaqAgentRenewal {
  owner: string;
  /** Files not taken since the last renewal. */
  failures: { path: string; error: string }[];
  lastError?: string | null;
}

/** One version of a file, as the agent saw it. */
export interface DaqAgentFileVersion {
  owner: string;
  /** POSIX path relative to the monitored directory. */
  relativePath: string;
  size: number;
  /** ISO-8601 with milliseconds. */
  mtime: string;
}

export interface DaqAgentOffer {
  action: 'skip' | 'send';
  /** Bytes the server already holds of this version. */
  held: number;
}

export interface DaqAgentFileChecksums extends DaqAgentFileVersion {
  md5: string;
  sha256: string;
}

export interface DaqAgentTaken {
  path: string;
  outcome: 'copied' | 'identical' | 'overwritten';
  size: number;
  md5: string;
  sha256: string;
}

/** A file's answer in a batch of offers (`offers`), in the order asked. */
export interface DaqAgentBatchOffer extends DaqAgentOffer {
  relativePath: string;
}

/** A file's result in a batch of commits (`commits`): taken, or refused as the single commit would be. */
export type DaqAgentCommitResult =
  | ({ relativePath: string; status: 'taken' } & DaqAgentTaken)
  | {
      relativePath: string;
      status: 'failed';
      error: { code: string; message: string; details: Record<string, unknown> };
    };

// Workflows and jobs
//
// - workflow: a named sequence of stages (APS format), identified by (owner, name); `owner` is a name space,
//   a user or a service account such as `s25idcuser`. Every upsert increments its `revision`.
// - stage: one shell command with `$variables`; stages run in the sorted order of their keys.
// - job: one run of a workflow (APS "processing job"), with the APS field names; its arguments and the
//   variables its stages captured are also spread at the top level of the record.
// - child process: one run of a stage's command (a repeated stage has one per run, a retry one per attempt).

/** A stage as the APS Data Management System defines it, plus Photon DM's optional extras. */
export interface WorkflowStage {
  /** Run with `/bin/sh -c` after `$variable` substitution. */
  command: string;
  workingDir?: string;
  /** Python regexes over stdout; named groups `(?P<name>...)` become variables. */
  outputVariableRegexList?: string[];
  /** Seconds between runs of a repeated stage. */
  repeatPeriod?: number;
  repeatUntil?: string;
  maxRepeats?: number;
  /** A condition; the stage is skipped when it is false. */
  runIf?: string;
  /** Seconds; the process group is killed after it. */
  timeout?: number;
  retries?: number;
  env?: Record<string, string>;
  site?: string;
  parallel?: { fileList: string; maxConcurrent?: number };
}

export interface Workflow {
  id: number;
  owner: string;
  name: string;
  description?: string;
  userAccount?: string;
  version?: string;
  /** Stage env variables whose values only admins and the owner see; others get `********`. */
  secretEnv?: string[];
  stages: Record<string, WorkflowStage>;
  revision: number;
  createdBy: string;
  created: string;
  updated: string;
}

/** A workflow as its author writes it: `name`, `owner` and `stages`, plus the optional keys. */
export type WorkflowDefinition = Record<string, unknown>;

export type WorkflowFormat = 'json' | 'yaml' | 'python';

/** The body of `POST /workflows` and `/workflows/validate`: a JSON object, or a file's text for the server to parse. */
export type WorkflowSource = (
  | { definition: WorkflowDefinition }
  | { format: WorkflowFormat; text: string }
) & {
  /** Admins: let the workflow run as userAccount `root` (the server must allow it: DM_ALLOW_ROOT_STAGES). */
  allowRoot?: boolean;
};

export interface WorkflowProblem {
  /** Where in the definition, e.g. `stages.02-MKDIR.command`; empty for the whole definition. */
  path: string;
  message: string;
}

export interface WorkflowValidation {
  valid: boolean;
  problems: WorkflowProblem[];
  /** The order the stages would run in. */
  stageOrder: string[];
  /** For `format` and `text`: the text as read, before the checks (e.g. a Python spec, to show as JSON). */
  definition?: WorkflowDefinition;
}

export interface WorkflowListQuery extends PageQuery {
  owner?: string;
}

export type JobStatus = 'pending' | 'running' | 'done' | 'failed' | 'aborted';
export type StageStatus = 'running' | 'done' | 'failed' | 'skipped' | 'aborted';

export interface ChildProcess {
  childProcessNumber: number;
  /** After `$variable` substitution. */
  command: string;
  workingDir: string;
  status: StageStatus;
  startTime: string;
  endTime: string | null;
  /** Seconds. */
  runTime: number | null;
  exitStatus: number | null;
  /** The tail; the whole output is in the job's log. */
  stdOut: string;
  stdErr: string;
  errorMessage: string | null;
}

export interface JobStage {
  status: StageStatus;
  startTime: string | null;
  endTime: string | null;
  errorMessage: string | null;
  childProcesses: ChildProcess[];
}

/** Fields every job record has; arguments and variables come on top (see `Job`). */
export interface JobRecord {
  id: number;
  /** The workflow's owner (its name space). */
  owner: string;
  workflowName: string;
  workflowRevision: number;
  status: JobStatus;
  /** The stage running, or the last one that ran. */
  stage: string | null;
  submissionTime: string;
  startTime: string | null;
  endTime: string | null;
  /** Seconds. */
  runTime: number | null;
  errorMessage: string | null;
  experimentName: string | null;
  /** Absolute, in storage. */
  filePath: string | null;
  arguments: Record<string, string>;
  /** Captured by the stages so far. */
  variables: Record<string, string>;
  submittedBy: string;
  resubmittedFrom: number | null;
  fromStage: string | null;
  stopRequested: boolean;
  stages: Record<string, JobStage>;
}

/** A job record with its arguments and variables also at the top level, as APS job records carry them. */
export type Job = JobRecord & Record<string, unknown>;

export interface StartJobInput {
  workflow: string;
  /** The workflow's owner; default: the caller. */
  owner?: string;
  experiment?: string;
  /** Relative to the experiment's data directory. */
  filePath?: string;
  arguments?: Record<string, string>;
}

export interface StartEachFileInput {
  workflow: string;
  owner?: string;
  experiment: string;
  pathGlob?: string;
  /** `key op value` conditions, as `dm file list --where` takes them. */
  where?: string[];
  arguments?: Record<string, string>;
}

export interface StartedJobs {
  count: number;
  jobIds: number[];
}

export interface JobListQuery extends PageQuery {
  status?: JobStatus;
  /** Only jobs that have ended (done, failed, aborted). */
  ended?: boolean;
  workflow?: string;
  owner?: string;
  experiment?: string;
}

export interface JobLogEntry {
  stage: string;
  childProcessNumber: number;
  text: string;
}

/** Log text read since the cursor; call again with `cursor` to follow. */
export interface JobLog {
  entries: JobLogEntry[];
  cursor: string;
  /** The job has ended and everything was read. */
  complete: boolean;
}

export interface JobLogQuery {
  stage?: string;
  cursor?: string;
}

/** The types of live events (docs/api.md, "Live events"). */
export type EventType =
  | 'job.status'
  | 'job.stage'
  | 'file.cataloged'
  | 'daq.status'
  | 'daq.progress'
  | 'upload.status'
  | 'upload.progress';

/** One event as the server sends it (the `data` of an SSE message). */
export interface PublishedEvent {
  id: number;
  type: EventType;
  experimentName: string | null;
  /** The user the event concerns (a job's submitter), if any. */
  username: string | null;
  /** The job, DAQ, upload id or file path the event is about. */
  subjectId: string | null;
  createdAt: string;
  payload: Record<string, unknown>;
}

export interface LiveEvent {
  id: number;
  type: string;
  data: PublishedEvent;
}

export interface EventStreamOptions {
  types?: readonly EventType[];
  experiment?: string;
  subject?: string | number;
  /** Replay the events after this id first (what `Last-Event-ID` says after a reconnection). */
  after?: number;
  /** Ends the stream (the iterator returns). */
  signal?: AbortSignal;
  /** Wait before reconnecting; default: what the server says (`retry:`), 2 s. */
  reconnectMs?: number;
  /**
   * Called each time the stream is connected, once the server follows for it: every event published from
   * then on comes. A view that loaded its state before reads it again then, or it would miss a change made
   * while the stream was still connecting (the first connection replays nothing without `after`).
   */
  onOpen?: () => void;
}

// Usage

export interface UsageQuery {
  /** First UTC day, YYYY-MM-DD, inclusive; default: 29 days before `to`. */
  from?: string;
  /** Last UTC day, inclusive; default: today. */
  to?: string;
  station?: string;
}

export interface UsageAmount {
  files: number;
  bytes: number;
}

/** The facility's use over a period: staff only (admins: every station; managers: theirs). */
export interface Usage {
  from: string;
  to: string;
  stations: string[];
  ingested: (UsageAmount & { day: string; station: string })[];
  jobs: { day: string; done: number; failed: number; aborted: number; successRate: number | null }[];
  storageByStation: (UsageAmount & { station: string; experiments: number })[];
  storageByExperiment: (UsageAmount & { experiment: string; station: string })[];
  busiestExperiments: (UsageAmount & { experiment: string; station: string })[];
}
