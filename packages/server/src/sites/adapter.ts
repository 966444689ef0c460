/**
 * What every kind of compute site offers the job engine: submit a stage's command, find it again after a
 * crash, read the state of many jobs in one call, cancel, and fetch what the command printed. One adapter per
 * kind (slurm, pbs, ssh, globus-compute, iri); names follow PSI/J's JobSpec where it has one.
 *
 * Crash safety rests on `key`: the engine records the key before it submits and the remote id right after;
 * killed between the two, it calls `find(key)` on restart and adopts the job it finds rather than submitting
 * a second one.
 */

/** One process of a stage at a site. */
export interface RemoteSpec {
  /**
   * Unique per job, stage, process and attempt, at most 48 characters of `[a-z0-9-]` (it becomes a job name
   * where the scheduler has no better place), e.g. `pdm-42-reconstruct-3`.
   */
  key: string;
  /** A bash script: the stage's command after `$variable` substitution, with its values as data. */
  command: string;
  /** The working directory at the site (created when missing). */
  directory: string;
  environment: Record<string, string>;
  resources?: {
    nodes?: number;
    tasksPerNode?: number;
    gpus?: number;
    exclusive?: boolean;
  };
  attributes?: {
    walltimeSeconds?: number;
    queue?: string;
    account?: string;
    reservation?: string;
    qos?: string;
  };
}

/** Where a remote job is; `unknown` when the scheduler no longer knows it and left no trace of its end. */
export type RemoteState = 'queued' | 'held' | 'running' | 'done' | 'failed' | 'canceled' | 'unknown';

export interface RemoteStatus {
  id: string;
  state: RemoteState;
  /** The command's exit status when it ended by itself (128 + n when killed by signal n). */
  exitCode?: number;
  /** The scheduler's reason for a wait or an end it caused: `Priority`, `TimeLimit`, `NodeFail`, ... */
  reason?: string;
  /** ISO 8601 times, where the scheduler says. */
  queuedAt?: string;
  startedAt?: string;
  endedAt?: string;
  /** The node list, where the scheduler says. */
  nodes?: string;
}

export interface RemoteOutput {
  /** The last `maxBytes` of each stream. */
  stdout: string;
  stderr: string;
  /** As written by the wrapper script when the command ended (more reliable than some schedulers' view). */
  exitCode?: number;
}

export interface SiteAdapter {
  /** Submits, and returns the remote id. A second submit with the same key must not start a second job. */
  submit(spec: RemoteSpec): Promise<string>;
  /** The remote id of the job submitted with `key`, if the site still knows it. */
  find(key: string): Promise<string | undefined>;
  /** The states of these jobs, in one call to the scheduler (or one per page of ids), never one per job. */
  status(ids: string[]): Promise<Map<string, RemoteStatus>>;
  /** Cancels; no error when the job has already ended or is unknown. */
  cancel(id: string): Promise<void>;
  /** What the command printed, and its exit status. */
  output(spec: RemoteSpec, maxBytes: number): Promise<RemoteOutput>;
}

/** A fault of the site itself (unreachable, refused, rate limited): retried later, never a stage's failure. */
export class SiteUnavailableError extends Error {
  constructor(
    message: string,
    /** Seconds the site asked us to wait (HTTP Retry-After), if it said. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'SiteUnavailableError';
  }
}
