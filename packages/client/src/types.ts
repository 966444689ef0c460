/**
 * The shapes of the Photon DM HTTP API (docs/api.md), as the client sees them on the wire: named here, but
 * taken from api-types.ts, which scripts/generate-client-types.ts generates from the server's schemas (the
 * fields and their documentation live there). Only what the server's schemas cannot say is written here:
 * the generic page, the stream's options, and narrower unions where the server checks more than its schema.
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
import type { BodyOf, QueryOf, ResponseOf } from './api-shapes.ts';
import type { components, ErrorCode, EventPayloads } from './api-types.ts';

export type { ErrorCode, EventPayloads };

type ItemOf<T> = T extends { items: (infer Item)[] } ? Item : never;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** What every list endpoint accepts besides its filters: `limit` 1-1000 (default 100), `cursor`. */
export type PageQuery = Pick<QueryOf<'/api/v1/experiments', 'get'>, 'limit' | 'cursor'>;

/** What every refusal of the API carries (`ApiError` holds it). */
export type ErrorBody = components['schemas']['ErrorResponse'];

/** One problem in a `validation_failed` error's `details.fields`. */
export interface FieldProblem {
  /** Path of the field in the request, e.g. `users/1` or `experiments/3/name`. */
  field: string;
  message: string;
}

// Authentication and tokens

export type Token = ItemOf<ResponseOf<'/api/v1/tokens', 'get'>>;
export type TokenKind = Token['kind'];
/** A token together with its secret, which the server returns only when it is made. */
export type IssuedToken = ResponseOf<'/api/v1/auth/login', 'post'>;
export type LoginInput = BodyOf<'/api/v1/auth/login', 'post'>;
export type CreateTokenInput = BodyOf<'/api/v1/tokens', 'post'>;
export type TokenListQuery = QueryOf<'/api/v1/tokens', 'get'>;

// Users

export type User = ResponseOf<'/api/v1/users/{username}', 'get'>;
/** `users.update`'s answer: the user, and what a new password did to their other sessions. */
export type UpdatedUser = ResponseOf<'/api/v1/users/{username}', 'patch'>;
export type CreateUserInput = BodyOf<'/api/v1/users', 'post'>;
/** `null` clears a field. */
export type UpdateUserInput = BodyOf<'/api/v1/users/{username}', 'patch'>;
export type UserListQuery = QueryOf<'/api/v1/users', 'get'>;

// Stations and experiment types

export type Station = ResponseOf<'/api/v1/stations/{name}', 'get'>;
/** `GET /stations/{name}/accounts`: the unix accounts its workflows may run as; admins keep the list. */
export type StationAccounts = ResponseOf<'/api/v1/stations/{name}/accounts', 'get'>;
/** Where a station's uploads and DAQs may read (`GET /stations/{name}/source-roots`). */
export type StationSources = ResponseOf<'/api/v1/stations/{name}/source-roots', 'get'>;
export type CreateStationInput = BodyOf<'/api/v1/stations', 'post'>;
export type UpdateStationInput = BodyOf<'/api/v1/stations/{name}', 'patch'>;
export type ExperimentType = ItemOf<ResponseOf<'/api/v1/experiment-types', 'get'>>;
export type CreateExperimentTypeInput = BodyOf<'/api/v1/experiment-types', 'post'>;

// Compute sites

/** Admins see how a site is reached; others its name, kind, description and whether it takes stages. */
export type Site = ResponseOf<'/api/v1/sites/{name}', 'get'>;
export type SiteKind = Site['kind'];
export type CreateSiteInput = BodyOf<'/api/v1/sites', 'post'>;
/** `null` clears a field. */
export type UpdateSiteInput = BodyOf<'/api/v1/sites/{name}', 'patch'>;
/** `dm site test`: each step (reach, submit, run, output, cancel), whether it passed, and why not. */
export type SiteTestReport = ResponseOf<'/api/v1/sites/{name}/test', 'post'>;

// Experiments

/** Field names follow the APS Data Management System, so scripts written for it keep working. */
export type Experiment = ResponseOf<'/api/v1/experiments/{name}', 'get'>;
export type ExperimentStatus = Experiment['status'];
export type ExperimentMember = Experiment['users'][number];
export type ExperimentRole = ExperimentMember['role'];
export type StorageState = Experiment['storageState'];
/** The body of `POST /experiments`, and one entry of an import. */
export type ExperimentInput = BodyOf<'/api/v1/experiments', 'post'>;
/** `null` clears a field. */
export type UpdateExperimentInput = BodyOf<'/api/v1/experiments/{name}', 'patch'>;
export type ExperimentListQuery = QueryOf<'/api/v1/experiments', 'get'>;
export type ExperimentSort = NonNullable<ExperimentListQuery['sort']>;
export type ImportResult = ResponseOf<'/api/v1/experiments/import', 'post'>;

// Audit

export type AuditEvent = ItemOf<ResponseOf<'/api/v1/audit', 'get'>>;
export type AuditListQuery = QueryOf<'/api/v1/audit', 'get'>;

// Operations

/** `GET /api/health` declares no response schema, so this one is written by hand. */
export interface Health {
  status: 'ok';
  version: string;
  database: 'sqlite' | 'postgres';
}

// Files, uploads, DAQs

/** A cataloged file, with the APS field names. */
export type CatalogFile = ResponseOf<'/api/v1/experiments/{name}/file', 'get'>;
/** Signed download URLs, relative to the server (`POST .../files/download-links`). */
export type DownloadLinks = ResponseOf<'/api/v1/experiments/{name}/files/download-links', 'post'>;
type FileQuery = QueryOf<'/api/v1/experiments/{name}/files', 'get'>;
/** `where` may be a read-only array: the client only reads it. */
export type FileSearchQuery = Pick<FileQuery, 'pathGlob'> & { where?: readonly string[] };
export type FileListQuery = Omit<FileQuery, 'pathGlob' | 'where'> & FileSearchQuery;

/** An upload with the APS field names. */
export type Upload = ResponseOf<'/api/v1/uploads/{id}', 'get'>;
export type UploadStatus = Upload['status'];
export type UploadInput = BodyOf<'/api/v1/uploads', 'post'>;
export type UploadListQuery = QueryOf<'/api/v1/uploads', 'get'>;

/** A DAQ with the APS field names; the counters and rates are live while it runs. */
export type Daq = ResponseOf<'/api/v1/daqs/{id}', 'get'>;
export type DaqStatus = Daq['status'];
/** The body of `POST /daqs`. */
export type DaqInput = BodyOf<'/api/v1/daqs', 'post'>;
export type DaqListQuery = QueryOf<'/api/v1/daqs', 'get'>;

/** A DAQ as the agent that claimed it needs it. */
export type AgentDaq = NonNullable<ResponseOf<'/api/v1/daqs/claim', 'post'>['daq']>;
export type DaqAgentRenewal = BodyOf<'/api/v1/daqs/{id}/renew', 'post'>;
/** One version of a file, as the agent saw it. */
export type DaqAgentFileVersion = BodyOf<'/api/v1/daqs/{id}/files/offer', 'post'>;
export type DaqAgentOffer = ResponseOf<'/api/v1/daqs/{id}/files/offer', 'post'>;
export type DaqAgentFileChecksums = BodyOf<'/api/v1/daqs/{id}/files/commit', 'post'>;
export type DaqAgentTaken = ResponseOf<'/api/v1/daqs/{id}/files/commit', 'post'>;
/** A file's answer in a batch of offers (`offers`), in the order asked. */
export type DaqAgentBatchOffer = ResponseOf<'/api/v1/daqs/{id}/files/offers', 'post'>['offers'][number];
/** A file's result in a batch of commits (`commits`): taken, or refused as the single commit would be. */
export type DaqAgentCommitResult = ResponseOf<'/api/v1/daqs/{id}/files/commits', 'post'>['results'][number];

// Workflows and jobs
//
// - workflow: a named sequence of stages (APS format), identified by (owner, name); `owner` is a name space,
//   a user or a service account such as `s25idcuser`. Every upsert increments its `revision`.
// - stage: one shell command with `$variables`; stages run in the sorted order of their keys.
// - job: one run of a workflow (APS "processing job"), with the APS field names; its arguments and the
//   variables its stages captured are also spread at the top level of the record.
// - child process: one run of a stage's command (a repeated stage has one per run, a retry one per attempt).

export type Workflow = ResponseOf<'/api/v1/workflows/{owner}/{name}', 'get'>;
/** A stage as the APS Data Management System defines it, plus Photon DM's optional extras. */
export type WorkflowStage = Workflow['stages'][string];

/** A workflow as its author writes it: `name`, `owner` and `stages`, plus the optional keys. */
export type WorkflowDefinition = Record<string, unknown>;

type WorkflowBody = BodyOf<'/api/v1/workflows', 'post'>;
export type WorkflowFormat = NonNullable<WorkflowBody['format']>;

/**
 * The body of `POST /workflows` and `/workflows/validate`: a JSON object, or a file's text for the server to
 * parse. The schema makes every key optional; the server then asks for one of the two forms, as this does.
 */
export type WorkflowSource = ({ definition: WorkflowDefinition } | { format: WorkflowFormat; text: string }) &
  Pick<WorkflowBody, 'allowRoot'>;

export type WorkflowValidation = ResponseOf<'/api/v1/workflows/validate', 'post'>;
export type WorkflowProblem = WorkflowValidation['problems'][number];
export type WorkflowListQuery = QueryOf<'/api/v1/workflows', 'get'>;

/** Fields every job record has; arguments and variables come on top (see `Job`). */
export type JobRecord = ResponseOf<'/api/v1/jobs/{id}', 'get'>;
/** A job record with its arguments and variables also at the top level, as APS job records carry them. */
export type Job = JobRecord & Record<string, unknown>;
export type JobStatus = JobRecord['status'];
export type JobStage = JobRecord['stages'][string];
export type StageStatus = JobStage['status'];
export type ChildProcess = JobStage['childProcesses'][number];
export type StartJobInput = BodyOf<'/api/v1/jobs', 'post'>;
export type StartEachFileInput = BodyOf<'/api/v1/jobs/each-file', 'post'>;
export type StartedJobs = ResponseOf<'/api/v1/jobs/each-file', 'post', 201>;
export type JobListQuery = QueryOf<'/api/v1/jobs', 'get'>;
/** Log text read since the cursor; call again with `cursor` to follow. */
export type JobLog = ResponseOf<'/api/v1/jobs/{id}/logs', 'get'>;
export type JobLogEntry = JobLog['entries'][number];
export type JobLogQuery = QueryOf<'/api/v1/jobs/{id}/logs', 'get'>;

// Live events

/** The types of live events (docs/api.md, "Live events"). */
export type EventType = keyof EventPayloads;

/**
 * One event as the server sends it (the `data` of an SSE message), its payload typed by its type: check
 * `type` and `payload` is that type's.
 */
export type PublishedEvent<T extends EventType = EventType> = {
  [Type in T]: {
    id: number;
    type: Type;
    experimentName: string | null;
    /** The user the event concerns (a job's submitter), if any. */
    username: string | null;
    /** The job, DAQ, upload id or file path the event is about. */
    subjectId: string | null;
    createdAt: string;
    payload: EventPayloads[Type];
  };
}[T];

export interface LiveEvent<T extends EventType = EventType> {
  id: number;
  type: string;
  data: PublishedEvent<T>;
}

export interface EventStreamOptions<T extends EventType = EventType> {
  types?: readonly T[];
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

export type UsageQuery = QueryOf<'/api/v1/usage', 'get'>;
/** The facility's use over a period: staff only (admins: every station; managers: theirs). */
export type Usage = ResponseOf<'/api/v1/usage', 'get'>;
export type UsageAmount = Pick<Usage['ingested'][number], 'files' | 'bytes'>;
